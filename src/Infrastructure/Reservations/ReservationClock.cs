using IaasApi.Infrastructure.Instances;
using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Reservations;
using IaasApi.Infrastructure.Placement;
using static IaasApi.Domain.Instances.InstanceStatus;

namespace IaasApi.Infrastructure.Reservations;

public sealed record ReservationTickReport(int Noticed, int Started, int Ended);

/// <summary>
/// A reservation's life against the control plane's clock, driven by the tick: the notice period before it starts
/// (preemptible instances it will displace are told), the start (its slots' capacity is taken back from borrowers
/// and its pending instances launch), and the end (after the grace period the on-end action runs and the capacity
/// returns). Each step is one transaction that re-checks the reservation's status under its row lock, so a tick that
/// dies half-way, or two ticks at once, leave nothing half-done: the next tick does what is still due.
/// </summary>
public sealed class ReservationClock(
    IaasDbContext db,
    CapacityClaims claims,
    ReservationLauncher launcher,
    ReservationBook book,
    JobDispatcher dispatcher,
    QueuePasses passes,
    IOptions<IaasOptions> options,
    ILogger<ReservationClock> log) : Operations.ITickStep
{
    int Operations.ITickStep.Order => 200;

    async Task Operations.ITickStep.RunAsync(CancellationToken ct)
    {
        var leases = await RunAsync(ct);
        if (leases.Noticed + leases.Started + leases.Ended > 0) log.LogInformation("Tick: {Report}", leases);
    }

    private const int Batch = 100;

    public async Task<ReservationTickReport> RunAsync(CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        var lead = TimeSpan.FromSeconds(Math.Max(0, options.Value.Scheduling.PreemptionNoticeSeconds));
        int noticed = 0, started = 0, ended = 0;

        var noticeDue = await db.Reservations.AsNoTracking()
            .Where(r => r.Status == ReservationStatus.Scheduled && r.NoticeGivenAt == null && r.Start <= now + lead && r.Start > now)
            .OrderBy(r => r.Start).Select(r => r.Id).Take(Batch).ToListAsync(ct);
        foreach (var id in noticeDue)
            if (await Guarded(id, "give notice for", () => NoticeAsync(id, ct))) noticed++;

        // Ends first, so a reservation starting where another ends finds its hosts released.
        // End + grace is compared in memory (portable across both databases); the candidates are those past their end.
        var endCandidates = await db.Reservations.AsNoTracking()
            .Where(r => r.Status == ReservationStatus.Active && r.End <= now)
            .OrderBy(r => r.End).Select(r => new { r.Id, r.End, r.GraceSeconds }).Take(Batch * 5).ToListAsync(ct);
        foreach (var due in endCandidates.Where(r => r.End + TimeSpan.FromSeconds(r.GraceSeconds) <= now).Take(Batch))
            if (await Guarded(due.Id, "end", () => CloseAsync(due.Id, cancel: false, ct))) ended++;

        var startDue = await db.Reservations.AsNoTracking()
            .Where(r => r.Status == ReservationStatus.Scheduled && r.Start <= now)
            .OrderBy(r => r.Start).Select(r => r.Id).Take(Batch).ToListAsync(ct);
        foreach (var id in startDue)
            if (await Guarded(id, "start", () => ActivateAsync(id, ct))) started++;

        // Started reservations whose pending instances could not launch yet (the previous lease's instances were still
        // being removed from the hosts): they launch as soon as they fit.
        var launchDue = await db.Reservations.AsNoTracking()
            .Where(r => r.Status == ReservationStatus.Active && r.AutoStart
                        && db.Instances.Any(i => i.ReservationId == r.Id && i.Status == Pending))
            .OrderBy(r => r.Start).Select(r => r.Id).Take(Batch).ToListAsync(ct);
        foreach (var id in launchDue) await Guarded(id, "launch the pending instances of", () => LaunchPendingAsync(id, ct));

        return new ReservationTickReport(noticed, started, ended);
    }

    /// <summary>
    /// The notice period: every preemptible instance the start would displace, as things stand now, is told when and
    /// why (status reason and audit trail). Who is finally preempted is decided at the start.
    /// </summary>
    public async Task<bool> NoticeAsync(Guid id, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await claims.LockReservationAsync(id, ct) != ReservationStatus.Scheduled) return false;
        var reservation = await db.Reservations.SingleAsync(r => r.Id == id, ct);
        var slots = await db.ReservationSlots.AsNoTracking().Where(s => s.ReservationId == id).ToListAsync(ct);
        foreach (var host in slots.GroupBy(s => s.HostId).OrderBy(g => g.Key))
        {
            var needed = host.Aggregate(Resources.Zero, (sum, s) => sum + s.Resources);
            foreach (var victim in await launcher.WouldPreemptAsync(host.Key, needed, ct))
                victim.NoticePreemption(Actors.Scheduler, now,
                    $"Will be preempted at {reservation.Start:u} for reservation '{reservation.Name}' ({reservation.Id}) unless capacity frees first; " +
                    "its state will be saved and it will resume when capacity frees.");
        }
        reservation.GiveNotice(now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// The start: the slots' capacity becomes the reservation's (idle until an instance runs in it), borrowers on its
    /// hosts are suspended until every host is within its bounds, and the pending instances launch (with autoStart).
    /// </summary>
    public async Task<bool> ActivateAsync(Guid id, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        var builds = new List<Operation>();
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            if (await claims.LockReservationAsync(id, ct) != ReservationStatus.Scheduled) return false;
            var reservation = await db.Reservations.SingleAsync(r => r.Id == id, ct);
            var slots = await db.ReservationSlots.AsNoTracking().Where(s => s.ReservationId == id).ToListAsync(ct);
            foreach (var host in slots.GroupBy(s => s.HostId).OrderBy(g => g.Key))
            {
                await claims.AddIdleReservedAsync(host.Key, host.Aggregate(Resources.Zero, (sum, s) => sum + s.Resources), ct);
                await launcher.PreemptAsync(host.Key, reservation, now, ct);
            }
            reservation.Activate(now);
            var pending = await db.Instances.Where(i => i.ReservationId == id && i.Status == Pending).OrderBy(i => i.Id).ToListAsync(ct);
            foreach (var instance in pending)
            {
                if (reservation.AutoStart)
                {
                    if (await TryLaunchAsync(instance, reservation, now, ct) is { } op) builds.Add(op);
                }
                else
                {
                    await WaitForStartAsync(instance, reservation, ct);
                }
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        log.LogInformation("Reservation {ReservationId} started; {Builds} instance(s) launched", id, builds.Count);
        await DispatchAsync(builds);
        return true;
    }

    /// <summary>Launches the pending instances of a started reservation that fit now (the rest wait for the next tick).</summary>
    public async Task<bool> LaunchPendingAsync(Guid id, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        var builds = new List<Operation>();
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            if (await claims.LockReservationAsync(id, ct) != ReservationStatus.Active) return false;
            var reservation = await db.Reservations.SingleAsync(r => r.Id == id, ct);
            var pending = await db.Instances.Where(i => i.ReservationId == id && i.Status == Pending).OrderBy(i => i.Id).ToListAsync(ct);
            foreach (var instance in pending)
                if (await TryLaunchAsync(instance, reservation, now, ct) is { } op) builds.Add(op);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        await DispatchAsync(builds);
        return builds.Count > 0;
    }

    /// <summary>
    /// Launches one pending instance in a free slot, or leaves it pending (saying why) when the slot's host still holds
    /// the previous lease's instances while their on-end action completes.
    /// </summary>
    private async Task<Operation?> TryLaunchAsync(Instance instance, Reservation reservation, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            return await LaunchAsync(instance, reservation, now, ct);
        }
        catch (ConflictException refused)
        {
            instance.StillWaiting($"Reservation '{reservation.Name}' has started; launching as soon as its hosts are clear. {refused.Message}");
            return null;
        }
    }

    /// <summary>A tenant starts a pending instance of a started reservation (one created without autoStart).</summary>
    public async Task<Instance> StartPendingAsync(Guid instanceId, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        Operation build;
        Instance instance;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            instance = await db.Instances.SingleAsync(i => i.Id == instanceId, ct);
            if (instance.Status != Pending || instance.ReservationId is not { } reservationId)
                throw new InvalidStateException($"Instance '{instance.Id}' is '{EnumWords.ToWord(instance.Status)}'; 'start' is not allowed in that status.");
            var status = await claims.LockReservationAsync(reservationId, ct);
            var reservation = await db.Reservations.SingleAsync(r => r.Id == reservationId, ct);
            if (status != ReservationStatus.Active)
                throw new InvalidStateException(status == ReservationStatus.Scheduled
                    ? $"Reservation '{reservation.Name}' starts at {reservation.Start:u}; the instance can start from then."
                    : $"Reservation '{reservation.Name}' is {EnumWords.ToWord(reservation.Status)}.");
            build = await LaunchAsync(instance, reservation, now, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        await DispatchAsync([build]);
        return instance;
    }

    /// <summary>
    /// The end (or a cancellation): the on-end action runs on the reservation's instances — delete, stop (the VM is
    /// saved off its host and the instance reads <c>stopped</c>; starting it places it again), or snapshot then delete
    /// — instances that never started fail, the slots go, each host's reserved peak is recomputed, and the quota the
    /// reservation held for unused slots returns to the tenant. An end waits (for the next tick) while one of its
    /// instances is in the middle of a change; a cancellation then answers 409.
    /// </summary>
    public async Task<bool> CloseAsync(Guid id, bool cancel, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        var work = new List<Operation>();
        var tenantId = await db.Reservations.AsNoTracking().Where(r => r.Id == id).Select(r => (Guid?)r.TenantId).SingleOrDefaultAsync(ct)
                       ?? throw new NotFoundException("reservation", id);
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            await claims.LockTenantAsync(tenantId, ct);
            var status = await claims.LockReservationAsync(id, ct);
            var reservation = await db.Reservations.SingleAsync(r => r.Id == id, ct);
            if (!reservation.IsLive)
            {
                if (cancel) throw new InvalidStateException($"Reservation '{reservation.Name}' is {EnumWords.ToWord(reservation.Status)}.");
                return false;
            }
            var instances = await db.Instances.Where(i => i.ReservationId == id && i.Status != Deleted).OrderBy(i => i.Id).ToListAsync(ct);
            if (instances.FirstOrDefault(i => InstanceTransitions.IsTransitional(i.Status) && i.Status != Deleting) is { } busy)
            {
                if (cancel)
                    throw new ConflictException($"Instance '{busy.Id}' of the reservation is '{EnumWords.ToWord(busy.Status)}'; retry the cancellation when it settles.");
                log.LogInformation("Reservation {ReservationId} is due to end but instance {InstanceId} is {Status}; the next tick retries",
                    id, busy.Id, busy.Status);
                return false;
            }
            var why = cancel ? "The reservation was cancelled." : $"The reservation ended at {reservation.End:u}.";
            foreach (var instance in instances)
                if (await EndInstanceAsync(instance, reservation, why, now, ct) is { } op) work.Add(op);

            // Unused slots of a started reservation stop being idle reserved capacity; then the slots go.
            var slots = await db.ReservationSlots.AsNoTracking().Where(s => s.ReservationId == id).ToListAsync(ct);
            if (status == ReservationStatus.Active)
                foreach (var host in slots.Where(s => s.InstanceId == null).GroupBy(s => s.HostId).OrderBy(g => g.Key))
                    await claims.AddIdleReservedAsync(host.Key, Resources.Zero - host.Aggregate(Resources.Zero, (sum, s) => sum + s.Resources), ct);
            await db.ReservationSlots.Where(s => s.ReservationId == id).ExecuteDeleteAsync(ct);
            foreach (var hostId in slots.Select(s => s.HostId).Distinct().Order()) await book.RefreshPeakAsync(hostId, ct);

            var unused = reservation.Close(cancel, now);
            if (unused > 0) await claims.ReleaseQuotaAsync(tenantId, Domain.Tenancy.Usage.Of(reservation.Resources, unused), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        log.LogInformation("Reservation {ReservationId} {Verb}; {Count} on-end operation(s)", id, cancel ? "cancelled" : "ended", work.Count);
        await DispatchAsync(work);
        await passes.RequestAsync(CancellationToken.None);
        return true;
    }

    /// <summary>The on-end action for one instance; the operation to dispatch, if any.</summary>
    private async Task<Operation?> EndInstanceAsync(Instance instance, Reservation reservation, string why, DateTimeOffset now, CancellationToken ct)
    {
        switch (instance.Status)
        {
            case Pending:
                // Never ran: it fails, its quota returns to the tenant (the reservation is closing, so not to it).
                if (instance.QuotaClaimed)
                {
                    await claims.ReleaseQuotaAsync(instance.TenantId, Domain.Tenancy.Usage.Of(instance.Resources, 1), ct);
                    instance.ReleaseQuota();
                }
                var waiting = instance.OperationId is { } opId ? await db.Operations.SingleOrDefaultAsync(o => o.Id == opId, ct) : null;
                instance.GiveUpWaiting($"{why} It ended before this instance started.", Actors.Scheduler, waiting?.Id, now);
                waiting?.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.ReservationEnded), "The reservation ended first.", why), now);
                return null;
            case Deleting:
                return null;   // its delete is under way; its capacity and quota are released when it completes
            case Error when reservation.OnEnd == OnEndAction.Stop:
                await ReleaseSlotClaimAsync(instance, ct);
                instance.LeaveReservation($"{why} The instance was in error; its capacity was released.");
                return null;
            case Running or Stopped or Error when reservation.OnEnd == OnEndAction.Stop:
                return await BeginAsync(instance, OperationKinds.InstanceShelve, instance.Status == Running ? Stopping : null, "stop", why, now, ct);
            case Running or Stopped or Error or Suspended:
                return await BeginAsync(instance, OperationKinds.InstanceDelete, Deleting, "delete", why, now, ct);
            default:
                return null;
        }
    }

    private async Task ReleaseSlotClaimAsync(Instance instance, CancellationToken ct)
    {
        if (instance.HostId is not { } hostId) return;
        await claims.ReleaseHostAsync(hostId, instance.Resources, instance.ClaimKind, ct);
        instance.ReleaseResources();
    }

    private async Task<Operation> BeginAsync(Instance instance, string kind, InstanceStatus? transitional, string verb, string why,
                                             DateTimeOffset now, CancellationToken ct)
    {
        var op = new Operation(kind, "instance", instance.Id, instance.TenantId, null, now)
        {
            Queue = await JobDispatcher.QueueForVmAsync(db, instance, ct),
        };
        db.Operations.Add(op);
        if (transitional is { } next) instance.Begin(next, verb, Actors.Scheduler, op.Id, now);
        else instance.Track(op.Id);
        instance.StillWaiting($"{why} On-end action: {verb}.");
        return op;
    }

    private async Task<Operation> LaunchAsync(Instance instance, Reservation reservation, DateTimeOffset now, CancellationToken ct)
    {
        var host = await launcher.ClaimSlotAsync(reservation, instance.Resources, now, ct);
        await launcher.BindSlotAsync(reservation.Id, host.Id, instance.Id, ct);
        var op = await db.Operations.SingleAsync(o => o.Id == instance.OperationId, ct);
        op.Route(JobDispatcher.QueueFor(host.Hypervisor, host.Name));
        instance.StartBuilding(host.Id, host.ZoneId, ClaimKind.InSlot, Actors.Scheduler, op.Id, now,
            $"Reservation '{reservation.Name}' started; launched in its slot.");
        return op;
    }

    private async Task WaitForStartAsync(Instance instance, Reservation reservation, CancellationToken ct)
    {
        var reason = $"Reservation '{reservation.Name}' has started; this instance launches when it is started (POST /v1/instances/{instance.Id}/actions/start).";
        instance.StillWaiting(reason);
        if (instance.OperationId is { } opId && await db.Operations.SingleOrDefaultAsync(o => o.Id == opId, ct) is { Waiting: true } op)
            op.Wait(reason);
    }

    private async Task DispatchAsync(IEnumerable<Operation> ops)
    {
        foreach (var op in launcher.TakeDispatches().Concat(ops)) await dispatcher.DispatchAsync(op, CancellationToken.None);
    }

    /// <summary>
    /// Runs one reservation's step. A step that lost a race (an instance it touched changed under it, a deadlock) is run
    /// again at once, a few times; any other failure is logged and left for the next tick (the step rolled back whole).
    /// </summary>
    private async Task<bool> Guarded(Guid id, string what, Func<Task<bool>> step)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await step();
            }
            catch (Exception ex) when (attempt < 4 && (ex is DbUpdateConcurrencyException || DatabaseErrors.IsTransientConflict(ex)))
            {
                launcher.Forget();
                db.ChangeTracker.Clear();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                launcher.Forget();
                db.ChangeTracker.Clear();
                log.LogWarning(ex, "Could not {What} reservation {ReservationId}; the next tick retries", what, id);
                return false;
            }
        }
    }
}
