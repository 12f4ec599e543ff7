namespace IaasApi.Api.Http;

/// <summary>
/// The problem slugs of HTTP itself (API.md): a status code or a protocol rule (authentication, If-Match, Idempotency-Key,
/// rate limits), not a rule of the cloud. The domain's own slugs and operations' failure codes, and the type URI
/// (<c>Uri</c>), are in <see cref="Domain.Common.ProblemTypes"/>.
/// </summary>
public static class HttpProblemTypes
{
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
    public const string IdempotencyKeyReused = "idempotency-key-reused";
    public const string IdempotencyKeyInFlight = "idempotency-key-in-flight";
    public const string Unavailable = "unavailable";
    /// <summary>The caller's API key spent its request budget (429 with <c>Retry-After</c>).</summary>
    public const string RateLimited = "rate-limited";
    public const string Internal = "internal";
}
