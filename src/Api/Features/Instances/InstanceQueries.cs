using IaasApi.Domain.Catalog;
using IaasApi.Domain.Instances;
using IaasApi.Infrastructure.Instances;

namespace IaasApi.Api.Features.Instances;

public static class InstanceQueries
{
    /// <summary>An instance the caller may see: another tenant's is a 404, never a 403.</summary>
    public static async Task<Instance> FindVisibleAsync(IaasDbContext db, Caller caller, Guid id, CancellationToken ct)
    {
        var instance = await db.Instances.SingleOrDefaultAsync(i => i.Id == id, ct);
        return instance is not null && caller.CanSee(instance.TenantId) ? instance : throw new NotFoundException("instance", id);
    }

    /// <summary>One instance, with its <c>userData</c> (its owner reads it back; lists leave it out).</summary>
    public static async Task<Ok<InstanceResponse>> Get(Guid id, Caller caller, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var instance = await FindVisibleAsync(db, caller, id, ct);
        var positions = await QueuePositionsAsync(db, [instance], ct);
        return Store.Ok(http, instance.Version,
            InstanceResponse.From(instance, caller.IsAdmin, PositionOf(positions, instance.Id)) with { UserData = instance.UserData });
    }

    /// <summary>Deleted instances are hidden unless asked for with <c>?status=deleted</c>.</summary>
    public static async Task<Page<InstanceResponse>> List(Caller caller, IaasDbContext db, int? limit, string? pageToken, string? status,
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
        var page = await Paging.PageAsync(http, query, limit, pageToken, i => i, ct, order);
        var positions = await QueuePositionsAsync(db, page.Items, ct);
        return new Page<InstanceResponse>(page.Items.Select(i => InstanceResponse.From(i, caller.IsAdmin, PositionOf(positions, i.Id))).ToList(),
            page.NextPageToken);
    }

    /// <summary>
    /// Where each of these instances stands in the best-effort queue (1 = next), counted in the order <c>GET /v1/queue</c>
    /// lists it; absent for those not in it. One query for a whole page, so a list and a single read say the same.
    /// </summary>
    public static async Task<IReadOnlyDictionary<Guid, int>> QueuePositionsAsync(IaasDbContext db, IReadOnlyCollection<Instance> instances,
                                                                                  CancellationToken ct)
    {
        var ids = instances.Where(BestEffortQueue.IsQueued).Select(i => i.Id).ToList();
        if (ids.Count == 0) return new Dictionary<Guid, int>();
        var queue = BestEffortQueue.Queued(db).AsNoTracking();
        return await queue.Where(i => ids.Contains(i.Id))
            .Select(i => new
            {
                i.Id,
                Ahead = queue.Count(q => q.Priority > i.Priority
                                         || (q.Priority == i.Priority && (q.QueuedAt < i.QueuedAt || (q.QueuedAt == i.QueuedAt && q.Id.CompareTo(i.Id) < 0)))),
            })
            .ToDictionaryAsync(x => x.Id, x => x.Ahead + 1, ct);
    }

    public static int? PositionOf(IReadOnlyDictionary<Guid, int> positions, Guid id) => positions.TryGetValue(id, out var p) ? p : null;

    /// <summary>The audit trail: every transition with time, actor, from → to and detail, oldest first.</summary>
    public static async Task<Page<InstanceActionResponse>> Actions(Guid id, Caller caller, IaasDbContext db, int? limit, string? pageToken,
                                                                   HttpContext http, CancellationToken ct)
    {
        await FindVisibleAsync(db, caller, id, ct);
        return await Paging.PageAsync(http, db.InstanceActions.AsNoTracking().Where(a => a.InstanceId == id), limit, pageToken,
            InstanceActionResponse.From, ct);
    }
}
