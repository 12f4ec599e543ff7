using IaasApi.Domain.Instances;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Reservations;
using IaasApi.Domain.Tenancy;

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
    /// Claims <paramref name="d"/> on an enabled, powered-on (or booting) host whose configuration is still the one placement
    /// filtered on (<paramref name="configVersion"/>) and that holds fewer than <paramref name="maxInstances"/>
    /// instances (0: no cap), or returns false if it no longer fits or has changed. Every claim must fit physically
    /// now beside the idle capacity of reservations that have started; a <see cref="ClaimKind.Persistent"/> claim must
    /// also fit beside the host's reservations at every future instant (<c>committed + d ≤ usable</c>), while a
    /// <see cref="ClaimKind.Preemptible"/> one may borrow what future reservations will need.
    /// </summary>
    public async Task<bool> TryClaimHostAsync(Guid hostId, Resources d, long configVersion, int maxInstances, ClaimKind kind, CancellationToken ct)
    {
        var hosts = Fitting(hostId, d).Where(h => h.State == HostState.Enabled && (h.Power == HostPower.On || h.Power == HostPower.PoweringOn)
                                                  && h.ConfigVersion == configVersion
                                                  && (maxInstances <= 0 || h.InstanceCount < maxInstances));
        if (kind == ClaimKind.Persistent) hosts = Beside(hosts, d);
        return await AdjustHostsAsync(hosts, d, +1, kind, ct) == 1;
    }

    /// <summary>
    /// Claims room on a host whatever its state, under the same capacity rules (an operator's reset-state). Not for
    /// slots: see <see cref="TryClaimSlotAsync"/>.
    /// </summary>
    public async Task<bool> TryReclaimHostAsync(Guid hostId, Resources d, ClaimKind kind, CancellationToken ct)
    {
        if (kind == ClaimKind.InSlot) return await TryClaimSlotAsync(hostId, d, ct);
        var hosts = Fitting(hostId, d);
        if (kind == ClaimKind.Persistent) hosts = Beside(hosts, d);
        return await AdjustHostsAsync(hosts, d, +1, kind, ct) == 1;
    }

    /// <summary>
    /// An instance starts in a started reservation's slot on this host: <paramref name="d"/> moves from the host's idle
    /// reserved capacity to its allocation. It fits when the host, counting every started reservation's idle capacity,
    /// is within its bounds (borrowers are preempted first when it is not).
    /// </summary>
    public async Task<bool> TryClaimSlotAsync(Guid hostId, Resources d, CancellationToken ct) =>
        await AdjustHostsAsync(db.Hosts.Where(h => h.Id == hostId
                                                   && h.IdleReserved.Vcpus >= d.Vcpus && h.IdleReserved.MemoryMiB >= d.MemoryMiB
                                                   && h.IdleReserved.DiskGiB >= d.DiskGiB && h.IdleReserved.NetworkMbps >= d.NetworkMbps
                                                   && h.Allocated.Vcpus + h.IdleReserved.Vcpus <= (h.Capacity.Vcpus - h.Reserved.Vcpus) * h.AllocationRatios.Cpu
                                                   && h.Allocated.MemoryMiB + h.IdleReserved.MemoryMiB <= (h.Capacity.MemoryMiB - h.Reserved.MemoryMiB) * h.AllocationRatios.Memory
                                                   && h.Allocated.DiskGiB + h.IdleReserved.DiskGiB <= (h.Capacity.DiskGiB - h.Reserved.DiskGiB) * h.AllocationRatios.Disk
                                                   && h.Allocated.NetworkMbps + h.IdleReserved.NetworkMbps <= h.Capacity.NetworkMbps),
            d, +1, ClaimKind.InSlot, ct) == 1;

    /// <summary>
    /// Releases an instance's claim. An in-slot claim goes back to its slot (idle reserved capacity) while the
    /// reservation lasts (<paramref name="backToSlot"/>), and to the host otherwise.
    /// </summary>
    public Task ReleaseHostAsync(Guid hostId, Resources d, ClaimKind kind, CancellationToken ct, bool backToSlot = false) =>
        AdjustHostsAsync(db.Hosts.Where(h => h.Id == hostId), Resources.Zero - d, -1, kind, ct, backToSlot);

    /// <summary>Claims <paramref name="gib"/> on a storage pool if it still has room (a storage migration's reservation).</summary>
    public async Task<bool> TryClaimPoolAsync(Guid poolId, int gib, CancellationToken ct) =>
        await AdjustPoolAsync(db.StoragePools.Where(p => p.Id == poolId && p.AllocatedGiB + gib <= p.CapacityGiB), gib, ct) == 1;

    public Task ReleasePoolAsync(Guid poolId, int gib, CancellationToken ct) => AdjustPoolAsync(db.StoragePools.Where(p => p.Id == poolId), -gib, ct);

    /// <summary>
    /// The instance's disk left the host's local disk for a pool: the host's disk allocation drops by
    /// <paramref name="gib"/>, the instance still counts there (its vCPUs and memory stay).
    /// </summary>
    public Task ReleaseHostDiskAsync(Guid hostId, int gib, ClaimKind kind, CancellationToken ct) =>
        AdjustHostsAsync(db.Hosts.Where(h => h.Id == hostId), new Resources(0, 0, -gib, 0), 0, kind, ct);

    private Task<int> AdjustPoolAsync(IQueryable<StoragePool> pools, int gib, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        return pools.ExecuteUpdateAsync(s => s
            .SetProperty(p => p.AllocatedGiB, p => p.AllocatedGiB + gib)
            .SetProperty(p => p.Version, p => p.Version + 1)
            .SetProperty(p => p.UpdatedAt, now), ct);
    }

    /// <summary>A started reservation's unused slots become (or, negative, stop being) idle reserved capacity on a host.</summary>
    public Task AddIdleReservedAsync(Guid hostId, Resources delta, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        return db.Hosts.Where(h => h.Id == hostId).ExecuteUpdateAsync(s => s
            .SetProperty(h => h.IdleReserved.Vcpus, h => h.IdleReserved.Vcpus + delta.Vcpus)
            .SetProperty(h => h.IdleReserved.MemoryMiB, h => h.IdleReserved.MemoryMiB + delta.MemoryMiB)
            .SetProperty(h => h.IdleReserved.DiskGiB, h => h.IdleReserved.DiskGiB + delta.DiskGiB)
            .SetProperty(h => h.IdleReserved.NetworkMbps, h => h.IdleReserved.NetworkMbps + delta.NetworkMbps)
            .SetProperty(h => h.Version, h => h.Version + 1)
            .SetProperty(h => h.UpdatedAt, now), ct);
    }

    /// <summary>The host row locked for a change to its reservation slots (serialises them, and any claim, on this host).</summary>
    public Task LockTimelineAsync(Guid hostId, CancellationToken ct) =>
        db.Hosts.Where(h => h.Id == hostId).ExecuteUpdateAsync(s => s.SetProperty(h => h.TimelineVersion, h => h.TimelineVersion + 1), ct);

    /// <summary>Records a host's reservation peak after its slots changed (within the same transaction as the change).</summary>
    public Task SetReservedPeakAsync(Guid hostId, Resources peak, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        return db.Hosts.Where(h => h.Id == hostId).ExecuteUpdateAsync(s => s
            .SetProperty(h => h.ReservedPeak.Vcpus, peak.Vcpus)
            .SetProperty(h => h.ReservedPeak.MemoryMiB, peak.MemoryMiB)
            .SetProperty(h => h.ReservedPeak.DiskGiB, peak.DiskGiB)
            .SetProperty(h => h.ReservedPeak.NetworkMbps, peak.NetworkMbps)
            .SetProperty(h => h.Version, h => h.Version + 1)
            .SetProperty(h => h.UpdatedAt, now), ct);
    }

    /// <summary>
    /// Takes <paramref name="units"/> of a live reservation's free slots for new instances (their quota is the
    /// reservation's), or returns false. The reservation row's lock serialises the instances launched into it.
    /// </summary>
    public async Task<bool> TryTakeReservationUnitsAsync(Guid reservationId, int units, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        return await db.Reservations
            .Where(r => r.Id == reservationId && r.UnitsFree >= units
                        && (r.Status == ReservationStatus.Scheduled || r.Status == ReservationStatus.Active))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.UnitsFree, r => r.UnitsFree - units)
                .SetProperty(r => r.Version, r => r.Version + 1)
                .SetProperty(r => r.UpdatedAt, now), ct) == 1;
    }

    /// <summary>
    /// An instance of a reservation is gone: its unit returns to the reservation if it is still live (true) — the
    /// quota stays held for it — and otherwise its quota must go back to the tenant (false).
    /// </summary>
    public async Task<bool> TryReturnReservationUnitAsync(Guid reservationId, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        return await db.Reservations
            .Where(r => r.Id == reservationId && (r.Status == ReservationStatus.Scheduled || r.Status == ReservationStatus.Active))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.UnitsFree, r => r.UnitsFree + 1)
                .SetProperty(r => r.Version, r => r.Version + 1)
                .SetProperty(r => r.UpdatedAt, now), ct) == 1;
    }

    /// <summary>Locks a reservation's row (serialising changes to its slots and units) and returns its current status.</summary>
    public async Task<ReservationStatus?> LockReservationAsync(Guid reservationId, CancellationToken ct)
    {
        if (await db.Reservations.Where(r => r.Id == reservationId).ExecuteUpdateAsync(s => s.SetProperty(r => r.UnitsFree, r => r.UnitsFree), ct) == 0)
            return null;
        return await db.Reservations.AsNoTracking().Where(r => r.Id == reservationId).Select(r => (ReservationStatus?)r.Status).SingleAsync(ct);
    }

    /// <summary>The tenant row locked (as a quota claim would), for work that must serialise with its admissions.</summary>
    public Task LockTenantAsync(Guid tenantId, CancellationToken ct) =>
        db.Tenants.Where(t => t.Id == tenantId).ExecuteUpdateAsync(s => s.SetProperty(t => t.Usage.Instances, t => t.Usage.Instances), ct);

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

    /// <summary>The host, if it can also hold <paramref name="d"/> at every future instant beside its reservations.</summary>
    private static IQueryable<Host> Beside(IQueryable<Host> hosts, Resources d) =>
        hosts.Where(h =>
            h.Allocated.Vcpus - h.PreemptibleAllocated.Vcpus - h.SlotAllocated.Vcpus + h.ReservedPeak.Vcpus + d.Vcpus
                <= (h.Capacity.Vcpus - h.Reserved.Vcpus) * h.AllocationRatios.Cpu
            && h.Allocated.MemoryMiB - h.PreemptibleAllocated.MemoryMiB - h.SlotAllocated.MemoryMiB + h.ReservedPeak.MemoryMiB + d.MemoryMiB
                <= (h.Capacity.MemoryMiB - h.Reserved.MemoryMiB) * h.AllocationRatios.Memory
            && h.Allocated.DiskGiB - h.PreemptibleAllocated.DiskGiB - h.SlotAllocated.DiskGiB + h.ReservedPeak.DiskGiB + d.DiskGiB
                <= (h.Capacity.DiskGiB - h.Reserved.DiskGiB) * h.AllocationRatios.Disk
            && h.Allocated.NetworkMbps - h.PreemptibleAllocated.NetworkMbps - h.SlotAllocated.NetworkMbps + h.ReservedPeak.NetworkMbps + d.NetworkMbps
                <= h.Capacity.NetworkMbps);

    /// <summary>
    /// The host, if <paramref name="d"/> still fits in what it may hand out now beside the idle capacity of started
    /// reservations (the same rule as placement's filters).
    /// </summary>
    private IQueryable<Host> Fitting(Guid hostId, Resources d) =>
        db.Hosts.Where(h => h.Id == hostId
                            && h.Allocated.Vcpus + h.IdleReserved.Vcpus + d.Vcpus <= (h.Capacity.Vcpus - h.Reserved.Vcpus) * h.AllocationRatios.Cpu
                            && h.Allocated.MemoryMiB + h.IdleReserved.MemoryMiB + d.MemoryMiB <= (h.Capacity.MemoryMiB - h.Reserved.MemoryMiB) * h.AllocationRatios.Memory
                            && h.Allocated.DiskGiB + h.IdleReserved.DiskGiB + d.DiskGiB <= (h.Capacity.DiskGiB - h.Reserved.DiskGiB) * h.AllocationRatios.Disk
                            && h.Allocated.NetworkMbps + h.IdleReserved.NetworkMbps + d.NetworkMbps <= h.Capacity.NetworkMbps);

    private Task<int> AdjustHostsAsync(IQueryable<Host> hosts, Resources delta, int instances, ClaimKind kind, CancellationToken ct,
                                       bool backToSlot = false)
    {
        var now = db.Clock.GetUtcNow();
        // The sub-counter that says how the claim is held moves with the total (zero for the other kinds). A slot's
        // capacity moves between idle and allocated while its reservation lasts.
        var preemptible = kind == ClaimKind.Preemptible ? delta : Resources.Zero;
        var inSlot = kind == ClaimKind.InSlot ? delta : Resources.Zero;
        var idle = kind == ClaimKind.InSlot && (instances > 0 || backToSlot) ? Resources.Zero - delta : Resources.Zero;
        return hosts.ExecuteUpdateAsync(s => s
            .SetProperty(h => h.Allocated.Vcpus, h => h.Allocated.Vcpus + delta.Vcpus)
            .SetProperty(h => h.Allocated.MemoryMiB, h => h.Allocated.MemoryMiB + delta.MemoryMiB)
            .SetProperty(h => h.Allocated.DiskGiB, h => h.Allocated.DiskGiB + delta.DiskGiB)
            .SetProperty(h => h.Allocated.NetworkMbps, h => h.Allocated.NetworkMbps + delta.NetworkMbps)
            .SetProperty(h => h.PreemptibleAllocated.Vcpus, h => h.PreemptibleAllocated.Vcpus + preemptible.Vcpus)
            .SetProperty(h => h.PreemptibleAllocated.MemoryMiB, h => h.PreemptibleAllocated.MemoryMiB + preemptible.MemoryMiB)
            .SetProperty(h => h.PreemptibleAllocated.DiskGiB, h => h.PreemptibleAllocated.DiskGiB + preemptible.DiskGiB)
            .SetProperty(h => h.PreemptibleAllocated.NetworkMbps, h => h.PreemptibleAllocated.NetworkMbps + preemptible.NetworkMbps)
            .SetProperty(h => h.SlotAllocated.Vcpus, h => h.SlotAllocated.Vcpus + inSlot.Vcpus)
            .SetProperty(h => h.SlotAllocated.MemoryMiB, h => h.SlotAllocated.MemoryMiB + inSlot.MemoryMiB)
            .SetProperty(h => h.SlotAllocated.DiskGiB, h => h.SlotAllocated.DiskGiB + inSlot.DiskGiB)
            .SetProperty(h => h.SlotAllocated.NetworkMbps, h => h.SlotAllocated.NetworkMbps + inSlot.NetworkMbps)
            .SetProperty(h => h.IdleReserved.Vcpus, h => h.IdleReserved.Vcpus + idle.Vcpus)
            .SetProperty(h => h.IdleReserved.MemoryMiB, h => h.IdleReserved.MemoryMiB + idle.MemoryMiB)
            .SetProperty(h => h.IdleReserved.DiskGiB, h => h.IdleReserved.DiskGiB + idle.DiskGiB)
            .SetProperty(h => h.IdleReserved.NetworkMbps, h => h.IdleReserved.NetworkMbps + idle.NetworkMbps)
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
