using IaasApi.Api.Features.Tenants;
using IaasApi.Domain.Tenancy;

namespace IaasApi.Api.Features.Me;

public sealed record TenantRef(Guid Id, string Name);

public sealed record MeResponse(Role Role, Guid KeyId, Guid? TenantId, TenantRef? Tenant, QuotasResponse? Quotas, QuotasResponse? Usage);

public static class MeEndpoints
{
    public static void MapMe(this RouteGroupBuilder v1) =>
        v1.MapGet("/me", Get).WithTags("Me").WithName("GetMe");

    private static async Task<MeResponse> Get(Caller caller, IaasDbContext db, CancellationToken ct)
    {
        if (caller.TenantId is not { } tenantId) return new MeResponse(caller.Role, caller.KeyId, null, null, null, null);
        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId, ct);
        return new MeResponse(caller.Role, caller.KeyId, tenant.Id, new TenantRef(tenant.Id, tenant.Name),
            QuotasResponse.From(tenant.Quotas), QuotasResponse.From(tenant.Usage));
    }
}
