using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;
using IaasApi.Domain.Reservations;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Infrastructure.Placement;

/// <summary>
/// Puts instances into their reservation's slots and takes capacity back from preemptible borrowers when a slot
/// needs it. Works inside the caller's transaction; the suspend operations it creates are dispatched by the caller
/// after the commit (<see cref="TakeDispatches"/>). Lock order: reservation row, then host rows, then instance rows.
/// </summary>
public sealed class ReservationLauncher(IaasDbContext db, CapacityClaims claims)
{
    private readonly List<Operation> _dispatches = [];

    /// <summary>The operations created since the last call, to dispatch now that their transaction committed.</summary>
    public IReadOnlyList<Operation> TakeDispatches()
    {
        var taken = _dispatches.ToArray();
        _dispatches.Clear();
        return taken;
    }

    /// <summary>The transaction did not commit: nothing to dispatch.</summary>
    public void Forget() => _dispatches.Clear();

    /// <summary>
    /// Claims the capacity of one free slot of a started reservation (on the slot's host), suspending borrowers there
    /// if they hold it. The caller took the reservation's unit first (which locks the reservation row) and binds the
    /// slot with <see cref="BindSlotAsync"/>. Throws <see cref="ConflictException"/> if no slot can be had.
    /// </summary>
    public async Task<HostCandidate> ClaimSlotAsync(Reservation reservation, Resources demand, DateTimeOffset now, CancellationToken ct)
    {
        var free = await db.ReservationSlots.AsNoTracking()
            .Where(s => s.ReservationId == reservation.Id && s.InstanceId == null)
            .OrderBy(s => s.Id).Select(s => s.HostId).ToListAsync(ct);
        if (free.Count == 0)
            throw new ConflictException($"All {reservation.Count} slots of reservation '{reservation.Name}' are in use.");
        foreach (var hostId in free.Distinct())
            if (await claims.TryClaimSlotAsync(hostId, demand, ct)) return await CandidateAsync(hostId, ct);

        foreach (var hostId in free.Distinct())
        {
            await PreemptAsync(hostId, reservation, now, ct);
            if (await claims.TryClaimSlotAsync(hostId, demand, ct)) return await CandidateAsync(hostId, ct);
        }
        throw new ConflictException(
            $"The hosts of reservation '{reservation.Name}' have no room for its slot right now (instances there are still changing state); try again shortly.");
    }

    /// <summary>Binds one of the reservation's free slots on <paramref name="hostId"/> to the instance that now runs in it.</summary>
    public async Task BindSlotAsync(Guid reservationId, Guid hostId, Guid instanceId, CancellationToken ct)
    {
        var slotId = await db.ReservationSlots
            .Where(s => s.ReservationId == reservationId && s.HostId == hostId && s.InstanceId == null)
            .OrderBy(s => s.Id).Select(s => (Guid?)s.Id).FirstOrDefaultAsync(ct)
            ?? throw new ConflictException("The reservation's slot was taken concurrently; try again.");
        await db.ReservationSlots.Where(s => s.Id == slotId).ExecuteUpdateAsync(s => s.SetProperty(x => x.InstanceId, instanceId), ct);
    }

    /// <summary>
    /// Suspends preemptible instances on a host until the host, with every started reservation's idle slots, is within
    /// its bounds again: lowest SLA priority first, then the most recently created. Each victim's claim is released
    /// now; a suspend operation saves its state, and it waits in the best-effort queue to resume. Returns the victims.
    /// </summary>
    public async Task<IReadOnlyList<Instance>> PreemptAsync(Guid hostId, Reservation reservation, DateTimeOffset now, CancellationToken ct)
    {
        var host = await db.Hosts.AsNoTracking().SingleAsync(h => h.Id == hostId, ct);
        var borrowers = await BorrowersAsync(hostId, ct);
        var victims = Preemption.Victims(borrowers.Select(AsBorrower).ToList(), host.UsableUnits, host.Allocated + host.IdleReserved, Resources.Zero)
                      ?? borrowers.Select(AsBorrower).ToList();
        var chosen = victims.Select(v => borrowers.Single(b => b.Id == v.InstanceId)).ToList();
        foreach (var victim in chosen)
        {
            var op = new Operation(OperationKinds.InstanceSuspend, "instance", victim.Id, victim.TenantId, null, now)
            {
                Queue = JobDispatcher.QueueFor(host.Hypervisor, host.Name),
            };
            db.Operations.Add(op);
            await claims.ReleaseHostAsync(hostId, victim.Resources, ClaimKind.Preemptible, ct);
            victim.ReleaseResources();
            victim.Suspend(Actors.Scheduler, op.Id, now,
                $"Preempted for reservation '{reservation.Name}' ({reservation.Id}), which needs its capacity from {reservation.Start:u}. " +
                "Its state is saved; it resumes when capacity frees.");
            _dispatches.Add(op);
        }
        return chosen;
    }

    /// <summary>
    /// The preemptible instances a reservation's start would displace from <paramref name="hostId"/> if it started now
    /// with <paramref name="startingIdle"/> more idle capacity there (for the notice period).
    /// </summary>
    public async Task<IReadOnlyList<Instance>> WouldPreemptAsync(Guid hostId, Resources startingIdle, CancellationToken ct)
    {
        var host = await db.Hosts.AsNoTracking().SingleAsync(h => h.Id == hostId, ct);
        var borrowers = await BorrowersAsync(hostId, ct);
        var victims = Preemption.Victims(borrowers.Select(AsBorrower).ToList(), host.UsableUnits,
            host.Allocated + host.IdleReserved + startingIdle, Resources.Zero) ?? borrowers.Select(AsBorrower).ToList();
        return victims.Select(v => borrowers.Single(b => b.Id == v.InstanceId)).ToList();
    }

    /// <summary>
    /// Preemptible instances holding capacity on the host. Those in the middle of a change (building, starting...) are
    /// preempted too: the job carrying the change saves the VM when it finds the instance suspended.
    /// </summary>
    /// <remarks>
    /// Filtered again in memory: an instance this transaction already preempted is still a borrower in the database
    /// until the commit, but its tracked entity says otherwise (its claim release already reached the host row).
    /// </remarks>
    private async Task<List<Instance>> BorrowersAsync(Guid hostId, CancellationToken ct) =>
        (await db.Instances.Where(i => i.HostId == hostId && i.ClaimKind == ClaimKind.Preemptible
                                       && (i.Status == InstanceStatus.Running || i.Status == InstanceStatus.Stopped
                                           || i.Status == InstanceStatus.Building || i.Status == InstanceStatus.Starting
                                           || i.Status == InstanceStatus.Stopping || i.Status == InstanceStatus.Rebooting))
            .ToListAsync(ct))
        .Where(i => i.HostId == hostId && i.Status != InstanceStatus.Suspended).ToList();

    private static Borrower AsBorrower(Instance i) => new(i.Id, i.Priority, i.CreatedAt, i.Resources);

    private async Task<HostCandidate> CandidateAsync(Guid hostId, CancellationToken ct) =>
        HostCandidate.From(await db.Hosts.AsNoTracking().SingleAsync(h => h.Id == hostId, ct), capabilities: null);
}
