using IaasApi.Domain.Instances;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Instances;

namespace IaasApi.Api.Features.Overview;

/// <summary>A zone at a glance: its hosts by state, usable capacity against what is allocated, and its instances.</summary>
public sealed record ZoneOverview(Guid ZoneId, string ZoneName, Guid RegionId, string RegionName, int Hosts, IReadOnlyDictionary<string, int> HostsByState,
                                  int HostsPoweredOff, ResourcesDto Usable, ResourcesDto Allocated, int Instances);

/// <summary>
/// The cloud at a glance (what the dashboard's first page shows): per zone (admins only) usable capacity — (capacity −
/// reserved) × allocation ratio, so vCPUs count their overcommit — against what is allocated, hosts by state; the
/// caller's instances by status; the best-effort queue's length; operations and migrations in flight.
/// </summary>
public sealed record OverviewResponse(DateTimeOffset GeneratedAt, IReadOnlyList<ZoneOverview> Zones, IReadOnlyDictionary<string, int> InstancesByStatus,
                                      int QueueLength, int OperationsInFlight, IReadOnlyDictionary<string, int> OperationsByKind, int MigrationsInFlight);

/// <summary>One place in the best-effort queue: who waits, in which order, and why.</summary>
public sealed record QueueEntry(int Position, Guid InstanceId, string Name, Guid TenantId, string Status, int Priority, DateTimeOffset? QueuedAt,
                                Guid? FlavorId, Guid? ZoneId, string? StatusReason);

public sealed record QueueResponse(IReadOnlyList<QueueEntry> Items, int Total);

/// <summary>
/// Read models for dashboards, computed in the database (counts and sums), so a cloud of thousands of hosts and tens of
/// thousands of instances answers in one round of queries: <c>GET /v1/overview</c> and <c>GET /v1/queue</c>.
/// Tenants see their own instances, operations and queue entries; zones and hosts are the operator's.
/// </summary>
public static class OverviewEndpoints
{
    public static void MapOverview(this RouteGroupBuilder v1)
    {
        v1.MapGet("/overview", Overview).WithTags("Overview").WithName("GetOverview").Produces<OverviewResponse>();
        v1.MapGet("/queue", Queue).WithTags("Overview").WithName("GetQueue").Produces<QueueResponse>().ProducesProblem(400);
    }

    private static async Task<OverviewResponse> Overview(Caller caller, IaasDbContext db, CancellationToken ct)
    {
        var instances = db.Instances.AsNoTracking().Where(i => caller.TenantId == null || i.TenantId == caller.TenantId);
        var byStatus = await instances.Where(i => i.Status != InstanceStatus.Deleted).GroupBy(i => i.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var operations = db.Operations.AsNoTracking().Where(o => o.Status == OperationStatus.Running && (caller.TenantId == null || o.TenantId == caller.TenantId));
        var byKind = await operations.GroupBy(o => o.Kind).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var queue = await BestEffortQueue.Queued(db).Where(i => caller.TenantId == null || i.TenantId == caller.TenantId).CountAsync(ct);
        var migrations = await db.Migrations.AsNoTracking()
            .CountAsync(m => (m.Status == MigrationStatus.Queued || m.Status == MigrationStatus.Running) && (caller.TenantId == null || m.TenantId == caller.TenantId), ct);
        return new OverviewResponse(db.Clock.GetUtcNow(), caller.IsAdmin ? await ZonesAsync(db, ct) : [],
            byStatus.ToDictionary(s => EnumWords.ToWord(s.Key), s => s.Count), queue, byKind.Sum(k => k.Count),
            byKind.ToDictionary(k => k.Key, k => k.Count), migrations);
    }

    private static async Task<IReadOnlyList<ZoneOverview>> ZonesAsync(IaasDbContext db, CancellationToken ct)
    {
        var zones = await db.Zones.AsNoTracking().Join(db.Regions.AsNoTracking(), z => z.RegionId, r => r.Id, (z, r) => new { z.Id, z.Name, RegionId = r.Id, RegionName = r.Name })
            .ToListAsync(ct);
        // Per host: few columns, summed here (usable capacity needs each host's own ratios).
        var hosts = await db.Hosts.AsNoTracking()
            .Select(h => new { h.ZoneId, h.State, h.Power, h.Capacity, h.Reserved, h.AllocationRatios, h.Allocated, h.InstanceCount }).ToListAsync(ct);
        var byZone = hosts.ToLookup(h => h.ZoneId);
        return zones.OrderBy(z => z.RegionName).ThenBy(z => z.Name).Select(z =>
        {
            var zoneHosts = byZone[z.Id].ToList();
            var usable = zoneHosts.Aggregate(Resources.Zero, (sum, h) => sum + Domain.Inventory.Host.UsableUnitsOf(h.Capacity, h.Reserved, h.AllocationRatios));
            var allocated = zoneHosts.Aggregate(Resources.Zero, (sum, h) => sum + h.Allocated);
            return new ZoneOverview(z.Id, z.Name, z.RegionId, z.RegionName, zoneHosts.Count,
                Enum.GetValues<HostState>().ToDictionary(EnumWords.ToWord, s => zoneHosts.Count(h => h.State == s)),
                zoneHosts.Count(h => h.Power == HostPower.Off), ResourcesDto.From(usable), ResourcesDto.From(allocated), zoneHosts.Sum(h => h.InstanceCount));
        }).ToList();
    }

    /// <summary>
    /// The best-effort queue in order (higher SLA priority first, then first come first served): pending instances
    /// outside reservations and preempted ones waiting to resume, with why each waits. <c>?zoneId=</c>, <c>?limit=</c>
    /// (default 100, at most 500). A tenant sees its own entries, with their positions in the whole queue.
    /// </summary>
    private static async Task<QueueResponse> Queue(Caller caller, IaasDbContext db, Guid? zoneId, int? limit, CancellationToken ct)
    {
        var take = limit ?? 100;
        if (take is < 1 or > Paging.MaxLimit) throw new FieldValidationException("limit", $"'limit' must be between 1 and {Paging.MaxLimit}.");
        var ordered = await BestEffortQueue.Queued(db).AsNoTracking().Where(i => zoneId == null || i.ZoneId == zoneId)
            .Select(i => new { i.Id, i.Name, i.TenantId, i.Status, i.Priority, i.QueuedAt, i.FlavorId, i.ZoneId, i.StatusReason })
            .ToListAsync(ct);
        var entries = ordered.Select((i, n) => new QueueEntry(n + 1, i.Id, i.Name, i.TenantId, EnumWords.ToWord(i.Status), i.Priority, i.QueuedAt,
                i.FlavorId, i.ZoneId, i.StatusReason))
            .Where(e => caller.TenantId is null || e.TenantId == caller.TenantId).ToList();
        return new QueueResponse(entries.Take(take).ToList(), entries.Count);
    }
}
