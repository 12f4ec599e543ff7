using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Hypervisors;
using static IaasApi.Domain.Instances.InstanceStatus;

namespace IaasApi.Infrastructure.Instances;

/// <summary>
/// Carries instance operations to the hypervisor. Each job: load and check state (return if the work is done),
/// count the attempt, call the driver with no transaction open, then record the outcome. A transient driver error
/// is rethrown for Hangfire to retry until <c>Iaas:Jobs:MaxAttempts</c>; after that, or on a permanent error,
/// <see cref="OperationOutcomes.FailAsync"/> records the failure.
/// </summary>
public sealed class InstanceJobs(
    IaasDbContext db,
    HypervisorDrivers drivers,
    OperationOutcomes outcomes,
    QueuePasses passes,
    IOptions<IaasOptions> options,
    ILogger<InstanceJobs> log)
{
    private int MaxAttempts => Math.Max(1, options.Value.Jobs.MaxAttempts);

    /// <summary>The host this job's driver call acted on.</summary>
    private HostRef? _host;

    public async Task ProvisionAsync(Guid operationId, CancellationToken ct)
    {
        if (await LoadAsync(operationId, ct) is not var (op, instance)) return;
        if (instance.Status != Building)
        {
            await CancelAsync(op, $"The instance is '{EnumWords.ToWord(instance.Status)}', no longer building.", ct);
            return;
        }
        var spec = await SpecAsync(instance, ct);

        // Named steps, so networking and storage can be added between them: host + template → (network) → (storage) → start.
        await BeginAttemptAsync(op, 10, ct);
        if (!await CallDriverAsync(op, instance, (driver, host) => driver.SpawnAsync(host, spec, ct), ct)) return;

        var current = await TryCompleteAsync(op, instance, i => i.MoveTo(Running, "spawned", Actors.Worker, op.Id, Now()), ct);
        if (current is Deleting or Deleted)
        {
            // Deleted while we spawned: leave nothing behind on the host (destroy is idempotent; the delete job destroys too).
            try
            {
                var host = await HostRefAsync(instance, ct);
                await drivers.For(host.Hypervisor).DestroyAsync(host, instance.Id, ct);
            }
            catch (HypervisorException ex)
            {
                log.LogWarning("Could not clean up VM {InstanceId} spawned after its deletion: {Message}", instance.Id, ex.Message);
            }
        }
    }

    public async Task PowerAsync(Guid operationId, CancellationToken ct)
    {
        if (await LoadAsync(operationId, ct) is not var (op, instance)) return;
        switch (op.Kind)
        {
            case OperationKinds.InstanceSuspend:
                await SuspendAsync(op, instance, ct);
                return;
            case OperationKinds.InstanceResume:
                await ResumeAsync(op, instance, ct);
                return;
            case OperationKinds.InstanceShelve:
                await ShelveAsync(op, instance, ct);
                return;
            case OperationKinds.InstanceRestore:
                await RestoreAsync(op, instance, ct);
                return;
        }
        var (expected, action, done, verb) = op.Kind switch
        {
            OperationKinds.InstanceStop => (Stopping, PowerAction.Stop, Stopped, "stopped"),
            OperationKinds.InstanceStart => (Starting, PowerAction.Start, Running, "started"),
            OperationKinds.InstanceReboot => (Rebooting, PowerAction.Reboot, Running, "rebooted"),
            _ => throw new InvalidOperationException($"PowerAsync cannot carry '{op.Kind}'."),
        };
        if (instance.Status != expected)
        {
            await CancelAsync(op, $"The instance is '{EnumWords.ToWord(instance.Status)}', not '{EnumWords.ToWord(expected)}'.", ct);
            return;
        }
        await BeginAttemptAsync(op, 10, ct);
        if (!await CallDriverAsync(op, instance, (driver, host) => driver.SetPowerAsync(host, instance.Id, action, ct), ct)) return;
        await TryCompleteAsync(op, instance, i => i.MoveTo(done, verb, Actors.Worker, op.Id, Now()), ct);
    }

    /// <summary>
    /// Preemption's second half: the instance already reads <c>suspended</c> and its claim went to the reservation; the
    /// driver saves the VM off its host. If it cannot, the VM is destroyed (the reservation's guarantee comes first;
    /// a preemptible instance accepted that) and the instance fails.
    /// </summary>
    private async Task SuspendAsync(Operation op, Instance instance, CancellationToken ct)
    {
        if (instance.Status != Suspended || instance.OperationId != op.Id)
        {
            await CancelAsync(op, $"The instance is '{EnumWords.ToWord(instance.Status)}', no longer being suspended.", ct);
            return;
        }
        // Preempted in the middle of a build or start: that job saves the VM when it finds the instance suspended. This
        // one waits for it (Hangfire retries), so the instance is not resumed elsewhere while its VM is still being made.
        if (await db.Operations.AsNoTracking().AnyAsync(o => o.ResourceId == instance.Id && o.Id != op.Id && o.Status == OperationStatus.Running
                                                             && !o.Waiting && o.Queue != null, ct))
            throw new InFlightWorkException(instance.Id);
        await BeginAttemptAsync(op, 10, ct);
        if (!await CallDriverAsync(op, instance, (driver, host) => driver.SuspendAsync(host, instance.Id, ct), ct,
                onPermanentFailure: (driver, host) => driver.DestroyAsync(host, instance.Id, ct))) return;
        await TryCompleteAsync(op, instance, _ => { }, ct);
        await passes.RequestAsync(CancellationToken.None);   // it may resume elsewhere right away
    }

    /// <summary>A suspended (or shelved) instance got capacity on a host: the driver restores its saved state there.</summary>
    private async Task ResumeAsync(Operation op, Instance instance, CancellationToken ct)
    {
        if (instance.Status != Starting || instance.OperationId != op.Id)
        {
            await CancelAsync(op, $"The instance is '{EnumWords.ToWord(instance.Status)}', not resuming.", ct);
            return;
        }
        var spec = await SpecAsync(instance, ct);
        await BeginAttemptAsync(op, 10, ct);
        if (!await CallDriverAsync(op, instance, (driver, host) => driver.ResumeAsync(host, spec, ct), ct)) return;
        await TryCompleteAsync(op, instance, i => i.MoveTo(Running, "resumed", Actors.Worker, op.Id, Now()), ct);
    }

    /// <summary>The instance goes back to the snapshot being restored (its status <c>restoring</c>) and runs from there.</summary>
    private async Task RestoreAsync(Operation op, Instance instance, CancellationToken ct)
    {
        var snapshot = await db.Snapshots.SingleOrDefaultAsync(s => s.InstanceId == instance.Id && s.OperationId == op.Id
                                                                     && s.Status == Domain.Snapshots.SnapshotStatus.Restoring, ct);
        if (instance.Status is not (Starting or Rebooting) || instance.OperationId != op.Id || snapshot is null)
        {
            await CancelAsync(op, $"The instance is '{EnumWords.ToWord(instance.Status)}', not being restored.", ct);
            return;
        }
        var spec = await SpecAsync(instance, ct);
        await BeginAttemptAsync(op, 10, ct);
        if (!await CallDriverAsync<ISnapshotDriver>(op, instance, (driver, host) => driver.RestoreSnapshotAsync(host, spec, snapshot.Id, ct), ct)) return;
        snapshot.EndRestore();
        await TryCompleteAsync(op, instance, i => i.MoveTo(Running, "restored", Actors.Worker, op.Id, Now(),
            $"Running from snapshot '{snapshot.Name}' ({(snapshot.IncludesMemory ? "resumed from its saved memory" : "booted from its saved disk")})."), ct);
    }

    /// <summary>
    /// A reservation ended with onEnd "stop": the driver saves the VM off its host, then the instance leaves its slot,
    /// its capacity returns and it reads <c>stopped</c> (a start places it again).
    /// </summary>
    private async Task ShelveAsync(Operation op, Instance instance, CancellationToken ct)
    {
        if (instance.Status is not (Stopping or Stopped) || instance.OperationId != op.Id)
        {
            await CancelAsync(op, $"The instance is '{EnumWords.ToWord(instance.Status)}', not being stopped.", ct);
            return;
        }
        await BeginAttemptAsync(op, 10, ct);
        if (!await CallDriverAsync(op, instance, (driver, host) => driver.SuspendAsync(host, instance.Id, ct), ct)) return;
        await outcomes.CompleteShelveAsync(op, instance, Actors.Worker, ct);
        await passes.RequestAsync(CancellationToken.None);
    }

    public async Task DeleteAsync(Guid operationId, CancellationToken ct)
    {
        if (await LoadAsync(operationId, ct) is not var (op, instance)) return;
        if (instance.Status != Deleting)
        {
            await CancelAsync(op, $"The instance is '{EnumWords.ToWord(instance.Status)}', not deleting.", ct);
            return;
        }
        await BeginAttemptAsync(op, 10, ct);
        // A VM left on a down host goes at its fencing; anywhere else the driver destroys it now.
        var reach = instance.VmHostId is not null && !await HostRefs.LeftOnDownHostAsync(db, instance, ct);
        if (reach && await SnapshotNameAsync(instance, ct) is { } snapshot
            && !await CallDriverAsync<ISnapshotDriver>(op, instance, async (driver, host) =>
                   await outcomes.RecordSnapshotAsync(instance, snapshot, await driver.SnapshotAsync(host, instance.Id, snapshot, ct), ct), ct)) return;
        if (reach && !await CallDriverAsync(op, instance, (driver, host) => driver.DestroyAsync(host, instance.Id, ct), ct)) return;
        if (reach && instance.StoragePoolId is not null)
        {
            var spec = await SpecAsync(instance, ct);
            if (!await CallDriverAsync(op, instance, (driver, host) => driver.DeletePooledDiskAsync(host, spec, ct), ct)) return;
        }
        // Its snapshots go with it.
        foreach (var taken in await db.Snapshots.Where(s => s.InstanceId == instance.Id && s.Status != Domain.Snapshots.SnapshotStatus.Deleted).ToListAsync(ct))
        {
            if (reach && !await CallDriverAsync<ISnapshotDriver>(op, instance, (driver, host) => driver.DeleteSnapshotAsync(host, instance.Id, taken.Id, ct), ct)) return;
            taken.MarkDeleted();
        }
        try
        {
            await outcomes.CompleteDeleteAsync(op, instance, Actors.Worker, ct);
            await passes.RequestAsync(CancellationToken.None);
        }
        catch (DbUpdateConcurrencyException)
        {
            log.LogInformation("Delete of {InstanceId} raced another writer; the retry re-checks", instance.Id);
            throw;   // Hangfire retries; the next run sees the current state
        }
    }

    /// <summary>The reconciler gave up on the operation: it fails, and its instance says so (released as a failed create is).</summary>
    public async Task GiveUpAsync(Operation op, OperationError error, CancellationToken ct)
    {
        if (op.ResourceId is { } id && await db.Instances.SingleOrDefaultAsync(i => i.Id == id, ct) is { } instance)
        {
            await outcomes.FailAsync(op, instance, error, Actors.Reconciler, ct);
            return;
        }
        op.Fail(error, db.Clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
    }

    private async Task<(Operation, Instance)?> LoadAsync(Guid operationId, CancellationToken ct)
    {
        var op = await db.Operations.SingleOrDefaultAsync(o => o.Id == operationId, ct);
        if (op is null || op.IsFinished || op.ResourceId is not { } instanceId) return null;
        var instance = await db.Instances.SingleOrDefaultAsync(i => i.Id == instanceId, ct);
        if (instance is null)
        {
            await CancelAsync(op, "The instance no longer exists.", ct);
            return null;
        }
        return (op, instance);
    }

    /// <summary>Counts the attempt (and saves) before the driver is called.</summary>
    private async Task BeginAttemptAsync(Operation op, int progress, CancellationToken ct)
    {
        op.StartAttempt();
        op.ReportProgress(progress);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// The image name to snapshot into before deleting: set when the instance's reservation ended with
    /// onEnd "snapshot-then-delete" and no snapshot was recorded yet.
    /// </summary>
    private async Task<string?> SnapshotNameAsync(Instance instance, CancellationToken ct)
    {
        if (instance.ReservationId is not { } reservationId) return null;
        var onEnd = await db.Reservations.AsNoTracking().Where(r => r.Id == reservationId && r.Status != Domain.Reservations.ReservationStatus.Scheduled
                                                                    && r.Status != Domain.Reservations.ReservationStatus.Active)
            .Select(r => (Domain.Reservations.OnEndAction?)r.OnEnd).SingleOrDefaultAsync(ct);
        if (onEnd != Domain.Reservations.OnEndAction.SnapshotThenDelete) return null;
        var name = OperationOutcomes.SnapshotName(instance);
        return await db.Images.AsNoTracking().AnyAsync(i => i.SourceInstanceId == instance.Id, ct) ? null : name;
    }

    private Task<InstanceSpec> SpecAsync(Instance instance, CancellationToken ct) => InstanceSpecs.OfAsync(db, instance, ct);

    /// <summary>Calls the driver's life cycle; false when the call failed for good (the failure is already recorded).</summary>
    private Task<bool> CallDriverAsync(Operation op, Instance instance, Func<IHypervisorDriver, HostRef, Task> call,
                                       CancellationToken ct, Func<IHypervisorDriver, HostRef, Task>? onPermanentFailure = null) =>
        CallDriverAsync<IHypervisorDriver>(op, instance, call, ct, onPermanentFailure);

    /// <summary>
    /// Calls the driver in the role <typeparamref name="TRole"/>; false when the call failed for good (the failure is already
    /// recorded; a driver without the role is such a failure).
    /// </summary>
    private async Task<bool> CallDriverAsync<TRole>(Operation op, Instance instance, Func<TRole, HostRef, Task> call,
                                                    CancellationToken ct, Func<IHypervisorDriver, HostRef, Task>? onPermanentFailure = null)
        where TRole : class
    {
        try
        {
            var host = await HostRefAsync(instance, ct);
            _host = host;
            await call(drivers.For<TRole>(host.Hypervisor), host);
            return true;
        }
        catch (HypervisorException ex) when (options.Value.Jobs.Retries(op, ex))
        {
            log.LogWarning("Transient driver failure on {Kind} {OperationId} (attempt {Attempt}/{Max}): {Message}",
                op.Kind, op.Id, op.Attempts, MaxAttempts, ex.Message);
            op.RecordTransientError(ex.Message);
            await db.SaveChangesAsync(ct);
            throw;   // Hangfire retries after the configured delay
        }
        catch (HypervisorException ex)
        {
            var detail = ex.IsTransient ? $"Gave up after {op.Attempts} attempts: {ex.Message}" : ex.Message;
            log.LogWarning("Driver failure on {Kind} {OperationId}: {Detail}", op.Kind, op.Id, detail);
            if (onPermanentFailure is not null)
            {
                try
                {
                    var host = await HostRefAsync(instance, ct);
                    await onPermanentFailure(drivers.For(host.Hypervisor), host);
                }
                catch (HypervisorException cleanup)
                {
                    log.LogWarning("Clean-up after the failed {Kind} of {InstanceId} failed too: {Message}", op.Kind, instance.Id, cleanup.Message);
                }
            }
            await outcomes.FailAsync(op, instance,
                new OperationError(ProblemTypes.Uri(ProblemTypes.HypervisorError), "The hypervisor refused the operation.", detail),
                Actors.Worker, ct);
            return false;
        }
    }

    /// <summary>
    /// Records success and returns null; if the instance changed underneath (a delete, an operator's reset), cancels
    /// the operation instead and returns the instance's current status.
    /// </summary>
    private async Task<InstanceStatus?> TryCompleteAsync(Operation op, Instance instance, Action<Instance> transition, CancellationToken ct)
    {
        var expected = instance.Status;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                transition(instance);
                op.Succeed(Now());
                await db.SaveChangesAsync(ct);
                await ParentOperations.RollUpAsync(db, op.ParentId, ct);
                return null;
            }
            catch (Exception ex) when (ex is DbUpdateConcurrencyException or InvalidStateException)
            {
                db.ChangeTracker.Clear();
                var fresh = await db.Operations.SingleAsync(o => o.Id == op.Id, ct);
                var now = await db.Instances.SingleAsync(i => i.Id == instance.Id, ct);
                // Its row moved on without leaving this work's status (an audit note, a retried write): complete it again.
                if (ex is DbUpdateConcurrencyException && attempt < 4 && !fresh.IsFinished && now.Status == expected && now.OperationId == op.Id)
                {
                    (op, instance) = (fresh, now);
                    continue;
                }
                if (!fresh.IsFinished)
                    await CancelAsync(fresh, $"The instance became '{EnumWords.ToWord(now.Status)}' while the work was in progress.", ct);
                if (now.Status == Suspended && _host is { } host) await SaveAfterPreemptionAsync(host, instance.Id, ct);
                return now.Status;
            }
        }
    }

    /// <summary>
    /// The instance was preempted while this job changed its VM (its capacity already went to a reservation): the VM
    /// this job just built or started is saved off the host. A failure is left to the suspend operation, which retries.
    /// </summary>
    private async Task SaveAfterPreemptionAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        try
        {
            await drivers.For(host.Hypervisor).SuspendAsync(host, instanceId, ct);
        }
        catch (HypervisorException ex)
        {
            log.LogWarning("Could not save VM {InstanceId}, preempted while it changed: {Message}", instanceId, ex.Message);
        }
    }

    private async Task CancelAsync(Operation op, string reason, CancellationToken ct)
    {
        op.Cancel(reason, Now());
        await db.SaveChangesAsync(ct);
        await ParentOperations.RollUpAsync(db, op.ParentId, ct);
    }

    private async Task<HostRef> HostRefAsync(Instance instance, CancellationToken ct) =>
        await HostRefs.FindAsync(db, instance.VmHostId, ct)
        ?? throw new HypervisorException($"Instance {instance.Id} is on no known host.", isTransient: false);

    private DateTimeOffset Now() => db.Clock.GetUtcNow();
}

/// <summary>Another job is still changing the instance's VM; this one runs again after it (Hangfire's retry).</summary>
public sealed class InFlightWorkException(Guid instanceId)
    : Exception($"Another operation on instance {instanceId} is still in progress; retrying after it.");
