namespace IaasApi.Api.Http;

/// <summary>An Idempotency-Key whose first request is still being processed (409 <c>idempotency-key-in-flight</c>).</summary>
/// <remarks>
/// HTTP's, not the domain's: only <see cref="IdempotencyMiddleware"/> throws it. (<c>IdempotencyKeyReusedException</c>,
/// <c>PreconditionFailedException</c> and <c>ContendedException</c> are as HTTP-shaped but stay in Domain: Infrastructure
/// throws them.)
/// </remarks>
public sealed class IdempotencyKeyInFlightException()
    : Exception("A request with this Idempotency-Key is still being processed; retry shortly.");
