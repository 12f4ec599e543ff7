using IaasApi.Api.Http;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Domain.Instances;
using IaasApi.Infrastructure.Persistence;
using IaasApi.Infrastructure.Scheduling;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Api.Features.Instances;

public static class InstanceQueries
{
    /// <summary>An instance the caller may see: another tenant's is a 404, never a 403.</summary>
    public static async Task<Instance> FindVisibleAsync(IaasDbContext db, Caller caller, Guid id, CancellationToken ct)
    {
        var instance = await db.Instances.SingleOrDefaultAsync(i => i.Id == id, ct);
        return instance is not null && caller.CanSee(instance.TenantId) ? instance : throw new NotFoundException("instance", id);
    }

    public static async Task<IResult> Get(Guid id, Caller caller, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var instance = await FindVisibleAsync(db, caller, id, ct);
        return Store.Ok(http, instance.Version, InstanceResponse.From(instance, caller.IsAdmin, await BestEffortQueue.PositionAsync(db, instance, ct)));
    }

    /// <summary>Deleted instances are hidden unless asked for with <c>?status=deleted</c>.</summary>
    public static Task<Page<InstanceResponse>> List(Caller caller, IaasDbContext db, int? limit, string? pageToken, string? status,
                                                    Guid? zoneId, Guid? hostId, Guid? tenantId, Guid? flavorId, string? name, Guid? reservationId,
                                                    string? scheme, Guid? slaPlanId, string? order, HttpContext http, CancellationToken ct)
    {
        var query = db.Instances.AsNoTracking();
        query = caller.TenantId is { } own ? query.Where(i => i.TenantId == own)
            : tenantId is not null ? query.Where(i => i.TenantId == tenantId) : query;
        query = QueryValues.Enum<InstanceStatus>(status, "status") is { } s ? query.Where(i => i.Status == s) : query.Where(i => i.Status != InstanceStatus.Deleted);
        if (zoneId is not null) query = query.Where(i => i.ZoneId == zoneId);
        if (hostId is not null && caller.IsAdmin) query = query.Where(i => i.HostId == hostId);
        if (flavorId is not null) query = query.Where(i => i.FlavorId == flavorId);
        if (name is not null) query = query.Where(i => i.Name == name);
        if (reservationId is not null) query = query.Where(i => i.ReservationId == reservationId);
        if (slaPlanId is not null) query = query.Where(i => i.SlaPlanId == slaPlanId);
        if (QueryValues.Enum<ProvisioningScheme>(scheme, "scheme") is { } sc) query = query.Where(i => i.Scheme == sc);
        return Paging.PageAsync(http, query, limit, pageToken, i => InstanceResponse.From(i, caller.IsAdmin), ct, order);
    }

    /// <summary>The audit trail: every transition with time, actor, from → to and detail, oldest first.</summary>
    public static async Task<Page<InstanceActionResponse>> Actions(Guid id, Caller caller, IaasDbContext db, int? limit, string? pageToken,
                                                                   HttpContext http, CancellationToken ct)
    {
        await FindVisibleAsync(db, caller, id, ct);
        return await Paging.PageAsync(http, db.InstanceActions.AsNoTracking().Where(a => a.InstanceId == id), limit, pageToken,
            InstanceActionResponse.From, ct);
    }
}
