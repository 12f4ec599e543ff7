using IaasApi.Domain.Common;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Tenancy;
using IaasApi.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Infrastructure.Placement;

/// <summary>
/// Capacity and quota change only through these conditional UPDATEs, inside the caller's transaction.
/// The database is the arbiter: a claim that would exceed <c>(capacity − reserved) × ratio</c> or a quota matches no
/// row, under any concurrency (PostgreSQL re-evaluates the WHERE on the latest row version after a lock wait;
/// SQLite serialises writers). Lock order, everywhere: the tenant row first, then host rows.
/// </summary>
public sealed class CapacityClaims(IaasDbContext db)
{
    /// <summary>
    /// Claims <paramref name="d"/> on an enabled, powered-on host whose configuration is still the one placement
    /// filtered on (<paramref name="configVersion"/>) and that holds fewer than <paramref name="maxInstances"/>
    /// instances (0: no cap), or returns false if it no longer fits or has changed.
    /// </summary>
    public async Task<bool> TryClaimHostAsync(Guid hostId, Resources d, long configVersion, int maxInstances, CancellationToken ct) =>
        await AdjustHostsAsync(Fitting(hostId, d).Where(h => h.State == HostState.Enabled && h.Power == HostPower.On
                                                             && h.ConfigVersion == configVersion
                                                             && (maxInstances <= 0 || h.InstanceCount < maxInstances)), d, +1, ct) == 1;

    /// <summary>Claims on a host whatever its state (an operator restoring an instance with reset-state), if it fits.</summary>
    public async Task<bool> TryReclaimHostAsync(Guid hostId, Resources d, CancellationToken ct) =>
        await AdjustHostsAsync(Fitting(hostId, d), d, +1, ct) == 1;

    public Task ReleaseHostAsync(Guid hostId, Resources d, CancellationToken ct) =>
        AdjustHostsAsync(db.Hosts.Where(h => h.Id == hostId), Resources.Zero - d, -1, ct);

    /// <summary>Claims tenant usage within its quotas (−1 = unlimited), or returns false.</summary>
    public async Task<bool> TryClaimQuotaAsync(Guid tenantId, Usage u, CancellationToken ct) =>
        await AdjustUsageAsync(db.Tenants
            // "usage <= limit − demand", never "usage + demand <= limit": the sum could overflow a 32-bit column
            // under an unlimited quota, and the database would refuse the statement instead of the claim.
            .Where(t => t.Id == tenantId
                        && t.Usage.Instances <= (t.Quotas.Instances == Quotas.Unlimited ? int.MaxValue : t.Quotas.Instances) - u.Instances
                        && t.Usage.Vcpus <= (t.Quotas.Vcpus == Quotas.Unlimited ? int.MaxValue : t.Quotas.Vcpus) - u.Vcpus
                        && t.Usage.MemoryMiB <= (t.Quotas.MemoryMiB == Quotas.Unlimited ? int.MaxValue : t.Quotas.MemoryMiB) - u.MemoryMiB),
            u, ct) == 1;

    public Task ReleaseQuotaAsync(Guid tenantId, Usage u, CancellationToken ct) =>
        AdjustUsageAsync(db.Tenants.Where(t => t.Id == tenantId), new Usage(-u.Instances, -u.Vcpus, -u.MemoryMiB), ct);

    /// <summary>The host, if <paramref name="d"/> still fits in what it may hand out (the same rule as placement's filters).</summary>
    private IQueryable<Host> Fitting(Guid hostId, Resources d) =>
        db.Hosts.Where(h => h.Id == hostId
                            && h.Allocated.Vcpus + d.Vcpus <= (h.Capacity.Vcpus - h.Reserved.Vcpus) * h.AllocationRatios.Cpu
                            && h.Allocated.MemoryMiB + d.MemoryMiB <= (h.Capacity.MemoryMiB - h.Reserved.MemoryMiB) * h.AllocationRatios.Memory
                            && h.Allocated.DiskGiB + d.DiskGiB <= (h.Capacity.DiskGiB - h.Reserved.DiskGiB) * h.AllocationRatios.Disk
                            && h.Allocated.NetworkMbps + d.NetworkMbps <= h.Capacity.NetworkMbps);

    private Task<int> AdjustHostsAsync(IQueryable<Host> hosts, Resources delta, int instances, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        return hosts.ExecuteUpdateAsync(s => s
            .SetProperty(h => h.Allocated.Vcpus, h => h.Allocated.Vcpus + delta.Vcpus)
            .SetProperty(h => h.Allocated.MemoryMiB, h => h.Allocated.MemoryMiB + delta.MemoryMiB)
            .SetProperty(h => h.Allocated.DiskGiB, h => h.Allocated.DiskGiB + delta.DiskGiB)
            .SetProperty(h => h.Allocated.NetworkMbps, h => h.Allocated.NetworkMbps + delta.NetworkMbps)
            .SetProperty(h => h.InstanceCount, h => h.InstanceCount + instances)
            .SetProperty(h => h.Version, h => h.Version + 1)
            .SetProperty(h => h.UpdatedAt, now), ct);
    }

    private Task<int> AdjustUsageAsync(IQueryable<Tenant> tenants, Usage delta, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        return tenants.ExecuteUpdateAsync(s => s
            .SetProperty(t => t.Usage.Instances, t => t.Usage.Instances + delta.Instances)
            .SetProperty(t => t.Usage.Vcpus, t => t.Usage.Vcpus + delta.Vcpus)
            .SetProperty(t => t.Usage.MemoryMiB, t => t.Usage.MemoryMiB + delta.MemoryMiB)
            .SetProperty(t => t.Version, t => t.Version + 1)
            .SetProperty(t => t.UpdatedAt, now), ct);
    }
}
