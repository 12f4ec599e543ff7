namespace IaasApi.Domain.Common;

/// <summary>
/// The closed list of failures the domain reports. The API maps each to one problem type; anything else is a 500.
/// </summary>
public abstract class DomainException(string message) : Exception(message);

/// <summary>A referenced resource does not exist (or belongs to another tenant).</summary>
public sealed class NotFoundException(string resource, object id)
    : DomainException($"{resource} '{id}' was not found.")
{
    public string Resource { get; } = resource;
}

/// <summary>The request conflicts with the current state of the cloud (a name taken, a flavor in use...).</summary>
public sealed class ConflictException(string message) : DomainException(message);

/// <summary>The resource's status does not allow the requested action.</summary>
public sealed class InvalidStateException(string message) : DomainException(message);

/// <summary>A semantic problem with one field that a shape validator cannot see (an image larger than the flavor's disk).</summary>
public sealed class FieldValidationException(string field, string message) : DomainException(message)
{
    public string Field { get; } = field;
}

public sealed class QuotaExceededException(string message, IReadOnlyList<string> exceeded) : DomainException(message)
{
    public IReadOnlyList<string> Exceeded { get; } = exceeded;
}

/// <summary>
/// A reservation's capacity is not there for the requested window. Carries the earliest window of the same length
/// that would fit (null if none was found within the search horizon).
/// </summary>
public sealed class CapacityUnavailableException(string message, DateTimeOffset? earliestStart, DateTimeOffset? earliestEnd)
    : DomainException(message)
{
    public DateTimeOffset? EarliestStart { get; } = earliestStart;
    public DateTimeOffset? EarliestEnd { get; } = earliestEnd;
}

/// <summary>The SLA plan does not offer the requested provisioning scheme.</summary>
public sealed class SchemeNotAllowedException(string message, IReadOnlyList<string> offered) : DomainException(message)
{
    public IReadOnlyList<string> Offered { get; } = offered;
}

public sealed class PreconditionFailedException(string message) : DomainException(message);

/// <summary>Concurrent requests kept winning the same resource; nothing changed and the caller should retry (503).</summary>
public sealed class ContendedException(string message) : DomainException(message);

/// <summary>An Idempotency-Key (or a create's clientToken) seen before with a different request.</summary>
public sealed class IdempotencyKeyReusedException(string message) : DomainException(message)
{
    public IdempotencyKeyReusedException()
        : this("This Idempotency-Key was already used with a different request body; use a new key for a new request.") { }
}

public static class Text
{
    public static string? Cap(string? s, int max = Limits.DetailMaxLength) => s is { Length: > 0 } && s.Length > max ? s[..max] : s;
}
