namespace IaasApi.Domain.Common;

/// <summary>
/// The problem types the domain itself speaks of (API.md; full type URI <c>https://iaasapi.dev/problems/&lt;slug&gt;</c>):
/// the slugs that name a rule of this cloud a request broke, and the codes an operation ends with (stored on it, read
/// later through <c>GET /v1/operations/{id}</c>). Slugs that only restate an HTTP status or a protocol rule — validation,
/// unauthorized, not-found, conflict, precondition-failed, idempotency, rate limits, unavailable... — belong to the Api
/// (<c>IaasApi.Api.Http.HttpProblemTypes</c>), which maps domain exceptions to problems.
/// </summary>
public static class ProblemTypes
{
    public const string BaseUri = "https://iaasapi.dev/problems/";

    // Domain rules a request broke (each the outcome of a domain exception)
    public const string InvalidState = "invalid-state";
    public const string NoValidHost = "no-valid-host";
    public const string QuotaExceeded = "quota-exceeded";
    public const string CapacityUnavailable = "capacity-unavailable";
    /// <summary>The SLA plan does not offer the requested provisioning scheme (409).</summary>
    public const string SchemeNotAllowed = "scheme-not-allowed";

    // Operation failures
    public const string HypervisorError = "hypervisor-error";
    public const string Cancelled = "cancelled";
    public const string GaveUp = "gave-up";
    /// <summary>A best-effort request waited its <c>maxWaitSeconds</c> without capacity.</summary>
    public const string QueueTimeout = "queue-timeout";
    /// <summary>A reservation ended (or was cancelled) before the instance waiting for it could start.</summary>
    public const string ReservationEnded = "reservation-ended";
    /// <summary>A migration ended without moving the instance (or could not activate it after the move).</summary>
    public const string MigrationFailed = "migration-failed";
    /// <summary>The instance's host stopped answering: the work on it ended, and the instance was evacuated.</summary>
    public const string HostFailed = "host-failed";
    /// <summary>Long work (a planner's execution) did part of what its plan said, not all of it: the detail says which part.</summary>
    public const string PartiallyCompleted = "partially-completed";

    public static string Uri(string slug) => BaseUri + slug;
}
