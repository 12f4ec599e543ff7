namespace IaasApi.Infrastructure.Persistence;

/// <summary>
/// The Idempotency-Key of the current request, handed from the HTTP layer to the use case so that work which
/// must happen once (a create) records the key in its own transaction: even if the response is lost, a retry
/// finds the work instead of doing it again.
/// </summary>
public sealed record IdempotencyContext(string Scope, string Key, string RequestHash)
{
    public const int ClientTokenMaxLength = 80 + 1 + Limits.ShortTextMaxLength;

    /// <summary>Unique per caller and key.</summary>
    public string ClientToken => $"{Scope}:{Key}";
}
