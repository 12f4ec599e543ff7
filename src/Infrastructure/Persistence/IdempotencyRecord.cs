namespace IaasApi.Infrastructure.Persistence;

/// <summary>
/// One <c>Idempotency-Key</c> seen from one caller: in flight until the first request completes, then the
/// response to replay for 24 hours. Only successful (2xx) responses are kept: a refused request may be retried.
/// </summary>
public sealed class IdempotencyRecord
{
    public required string Scope { get; init; }
    public required string Key { get; init; }
    public required string RequestHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public bool Completed { get; set; }
    public int StatusCode { get; set; }
    public string? ContentType { get; set; }
    public string? Location { get; set; }
    public byte[]? Body { get; set; }
    /// <summary>Responses that must never be shown twice (API key secrets): a replay is a 409 instead.</summary>
    public bool NoReplay { get; set; }
}
