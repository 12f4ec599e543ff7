namespace IaasApi.Domain.Common;

/// <summary>The stable problem slugs (API.md). Full type URI: <c>https://iaasapi.dev/problems/&lt;slug&gt;</c>.</summary>
public static class ProblemTypes
{
    public const string BaseUri = "https://iaasapi.dev/problems/";

    public const string Validation = "validation";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not-found";
    public const string MethodNotAllowed = "method-not-allowed";
    public const string NotAcceptable = "not-acceptable";
    public const string Conflict = "conflict";
    public const string PreconditionFailed = "precondition-failed";
    public const string PayloadTooLarge = "payload-too-large";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string InvalidState = "invalid-state";
    public const string NoValidHost = "no-valid-host";
    public const string QuotaExceeded = "quota-exceeded";
    public const string IdempotencyKeyReused = "idempotency-key-reused";
    public const string IdempotencyKeyInFlight = "idempotency-key-in-flight";
    public const string CapacityUnavailable = "capacity-unavailable";
    public const string Unavailable = "unavailable";
    /// <summary>The caller's API key spent its request budget (429 with <c>Retry-After</c>).</summary>
    public const string RateLimited = "rate-limited";
    public const string Internal = "internal";
    // Operation failures
    public const string HypervisorError = "hypervisor-error";
    public const string Cancelled = "cancelled";
    public const string GaveUp = "gave-up";
    /// <summary>A best-effort request waited its <c>maxWaitSeconds</c> without capacity.</summary>
    public const string QueueTimeout = "queue-timeout";
    /// <summary>The SLA plan does not offer the requested provisioning scheme (409).</summary>
    public const string SchemeNotAllowed = "scheme-not-allowed";
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
