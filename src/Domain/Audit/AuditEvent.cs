namespace IaasApi.Domain.Audit;

/// <summary>One mutating API request, as recorded for operators: who, what, on which resource, and the outcome.</summary>
public sealed class AuditEvent : Common.IHasId
{
    private AuditEvent() { Method = ""; Route = ""; }

    public AuditEvent(DateTimeOffset at, Guid? keyId, string? role, Guid? tenantId, string method, string route, string path,
                      Guid? resourceId, int statusCode, string? idempotencyKey)
    {
        Id = Common.Ids.New();
        At = at;
        KeyId = keyId;
        Role = role;
        TenantId = tenantId;
        Method = method;
        Route = route;
        Path = path;
        ResourceId = resourceId;
        StatusCode = statusCode;
        IdempotencyKey = idempotencyKey;
    }

    public Guid Id { get; private set; }
    public DateTimeOffset At { get; private set; }
    public Guid? KeyId { get; private set; }
    public string? Role { get; private set; }
    public Guid? TenantId { get; private set; }
    public string Method { get; private set; }
    /// <summary>The route template (<c>/v1/instances/{id}</c>), so events group by endpoint.</summary>
    public string Route { get; private set; }
    public string? Path { get; private set; }
    public Guid? ResourceId { get; private set; }
    public int StatusCode { get; private set; }
    public string? IdempotencyKey { get; private set; }

    public string Outcome => StatusCode switch { < 400 => "succeeded", < 500 => "rejected", _ => "failed" };
}
