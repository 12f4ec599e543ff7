using IaasApi.Domain.Audit;

namespace IaasApi.Api.Features.AuditEvents;

public sealed record AuditEventResponse(Guid Id, DateTimeOffset At, Guid? KeyId, string? Role, Guid? TenantId, string Method, string Route,
                                        string? Path, Guid? ResourceId, int StatusCode, string Outcome, string? IdempotencyKey)
{
    public static AuditEventResponse From(AuditEvent e) => new(e.Id, e.At, e.KeyId, e.Role, e.TenantId, e.Method, e.Route, e.Path,
        e.ResourceId, e.StatusCode, e.Outcome, e.IdempotencyKey);
}

public static class AuditEventsEndpoints
{
    public static void MapAuditEvents(this RouteGroupBuilder v1) =>
        v1.MapGet("/audit-events", List).WithTags("AuditEvents").WithName("ListAuditEvents")
          .RequireAuthorization(AuthorizationPolicies.Admin);

    private static Task<Page<AuditEventResponse>> List(IaasDbContext db, int? limit, string? pageToken, Guid? tenantId, Guid? resourceId,
                                                       DateTimeOffset? since, Guid? keyId, string? order, HttpContext http, CancellationToken ct)
    {
        var query = db.AuditEvents.AsNoTracking();
        if (tenantId is not null) query = query.Where(e => e.TenantId == tenantId);
        if (resourceId is not null) query = query.Where(e => e.ResourceId == resourceId);
        if (keyId is not null) query = query.Where(e => e.KeyId == keyId);
        if (since is { } s)
        {
            var utc = s.ToUniversalTime();
            query = query.Where(e => e.At >= utc);
        }
        return Paging.PageAsync(http, query, limit, pageToken, AuditEventResponse.From, ct, order);
    }
}
