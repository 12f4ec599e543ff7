using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;
using IaasApi.Infrastructure.Agents;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Jobs;
using IaasApi.Infrastructure.Persistence;
using IaasApi.Infrastructure.Placement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IaasApi.Infrastructure.Migrations;

/// <summary>The job that carries an <c>instance.migrate</c> operation through its migration's stages.</summary>
public interface IMigrationJobs
{
    Task RunAsync(Guid operationId, CancellationToken ct);

    /// <summary>
    /// The reconciler gave up on the operation (its job kept getting lost): the migration ends where the VM is — on the
    /// source (aborted, target claim released) before commitment, on the target after it.
    /// </summary>
    Task GiveUpAsync(Guid operationId, string reason, CancellationToken ct);

    /// <summary>
    /// One of the migration's hosts was declared down (the host monitor, in the tick): the migration ends by Clark's rule
    /// (<see cref="Migration.WhenHostDown"/>) — abandoned before the target held the whole guest, committed there after,
    /// finished where the VM is once committed; during post-copy's pull the guest is lost. Whatever must still run on a
    /// host goes to a live host's queue.
    /// </summary>
    Task HostDownAsync(Guid migrationId, Guid hostId, CancellationToken ct);
}

/// <summary>
/// Live migration, stage by stage (Clark et al.), each stage persisted before its work so a re-run (Hangfire retry,
/// reconciler re-drive, a restarted worker) continues where the last run stopped:
/// pre-migration (the target still passes the placement filters) → reservation (the target's capacity claimed, the
/// source's kept, and the target's agent readies the VM's arrival) → pre-copy (the driver's rounds recorded as they
/// come; cancel and force-complete requests acted on) → stop-and-copy (the switch-over's downtime recorded) →
/// commitment (ONE transaction: the instance moves to the target and the source's claim is released) → activation
/// (the target's agent runs it, the source's lets its copy go). Until commitment every failure or cancel stops the
/// source sending, discards what the target prepared, releases the target claim and leaves the VM on the source.
/// The job runs in the source host's agent (the operation's queue); the target's side runs in the target's agent,
/// asked through <see cref="HostCalls"/> (jobs on its queue, answers in the database).
/// </summary>
public sealed class MigrationJobs(
    IaasDbContext db,
    HypervisorDrivers drivers,
    CapacityClaims claims,
    MigrationPlanner planner,
    HostSnapshot snapshot,
    JobDispatcher dispatcher,
    HostCalls hosts,
    IOptions<IaasOptions> options,
    ILogger<MigrationJobs> log) : IMigrationJobs
{
    public async Task RunAsync(Guid operationId, CancellationToken ct)
    {
        var op = await db.Operations.SingleOrDefaultAsync(o => o.Id == operationId, ct);
        if (op is null || op.IsFinished) return;
        var migration = await db.Migrations.SingleOrDefaultAsync(m => m.OperationId == operationId, ct);
        if (migration is null || !migration.IsLive)
        {
            op.Cancel("The migration no longer exists or already ended.", Now());
            await db.SaveChangesAsync(ct);
            return;
        }
        var instance = await db.Instances.SingleAsync(i => i.Id == migration.InstanceId, ct);
        op.StartAttempt();
        await db.SaveChangesAsync(ct);
        try
        {
            await DriveAsync(op, migration, instance, ct);
        }
        catch (StayOnSource stay)
        {
            await EndOnSourceAsync(operationId, migration.Id, stay.Message, stay.Cancelled, onSourceAgent: true, ct);
        }
        catch (HypervisorException ex) when (!options.Value.Jobs.Retries(op, ex))
        {
            db.ChangeTracker.Clear();
            var current = await db.Migrations.AsNoTracking().SingleAsync(m => m.Id == migration.Id, ct);
            if (current.OnSource) await EndOnSourceAsync(operationId, migration.Id, $"The hypervisor failed: {ex.Message}", cancelled: false, onSourceAgent: true, ct);
            else await FailAfterCommitAsync(operationId, migration.Id, ex.Message, ct);
        }
    }

    public async Task GiveUpAsync(Guid operationId, string reason, CancellationToken ct)
    {
        var migration = await db.Migrations.AsNoTracking().SingleOrDefaultAsync(m => m.OperationId == operationId, ct);
        if (migration is null || !migration.IsLive)
        {
            var op = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
            if (!op.IsFinished) op.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.GaveUp), "The operation did not complete.", reason), Now());
            await db.SaveChangesAsync(ct);
            return;
        }
        if (migration.OnSource) await EndOnSourceAsync(operationId, migration.Id, reason, cancelled: false, onSourceAgent: false, ct);
        else await FailAfterCommitAsync(operationId, migration.Id, reason, ct);
    }

    private async Task DriveAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        if (m.Stage is null)
        {
            if (instance.Status != InstanceStatus.Migrating || instance.HostId != m.SourceHostId)
                throw new StayOnSource($"The instance is '{EnumWords.ToWord(instance.Status)}', no longer migrating from its host.");
            m.Enter(MigrationStage.PreMigration, Now());
            await SaveProgressAsync(op, m, ct);
        }
        if (m.Type == MigrationType.Storage)
        {
            await DriveStorageAsync(op, m, instance, ct);
            return;
        }
        if (m.Stage == MigrationStage.PreMigration) await ReserveTargetAsync(op, m, instance, ct);
        // Prepared as soon as the target is reserved (for cold: before the VM is stopped); a re-run asks again where it needs it.
        var endpoint = m.Stage == MigrationStage.Reservation ? await PrepareTargetAsync(m, instance, ct) : null;
        if (m.Type == MigrationType.Cold)
        {
            await DriveColdAsync(op, m, instance, endpoint, ct);
            return;
        }
        if (m.Stage == MigrationStage.Reservation)
        {
            m.Enter(MigrationStage.PreCopy, Now());
            await SaveProgressAsync(op, m, ct);
        }
        if (m.Stage is MigrationStage.PreCopy or MigrationStage.PostCopy) await PreCopyAsync(op, m, instance, endpoint, ct);
        if (m.Stage is MigrationStage.StopAndCopy or MigrationStage.PostCopy or MigrationStage.Commitment) await CommitAsync(op, m, instance, ct);
        if (m.Stage == MigrationStage.Activation) await ActivateAsync(op, m, instance, ct);
    }

    /// <summary>Pre-migration checks, then the reservation: the target's capacity claimed in the stage's transaction.</summary>
    private async Task ReserveTargetAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
        if (instance.ReservationId is not null || instance.ClaimKind == ClaimKind.InSlot)
            throw new StayOnSource("The instance runs in a reservation's slot, which is bound to its host.");
        HostCandidate target;
        try
        {
            (_, target) = await planner.RankTargetAsync(instance, m.SourceHostId, m.TargetHostId, ct, m.Type);
        }
        catch (Exception ex) when (ex is NoValidHostException or InvalidStateException)
        {
            throw new StayOnSource(ex.Message);
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await claims.TryClaimHostAsync(target.Id, instance.Resources, target.ConfigVersion,
                                            options.Value.Placement.MaxInstancesPerHost, instance.ClaimKind, ct))
            throw new StayOnSource($"Host '{target.Name}' no longer has room for the instance.");
        if (m.TargetHostId is null) m.ChooseTarget(target.Id);
        m.MarkTargetClaimed(true);
        m.Enter(MigrationStage.Reservation, Now());
        await SaveProgressAsync(op, m, ct);
        await tx.CommitAsync(ct);
        snapshot.Adjust(target.Id, instance.Resources, 1, instance.ClaimKind);
    }

    /// <summary>
    /// The reservation's second half: the target's agent readies the VM's arrival (live: created paused, waiting for its
    /// memory; both: an empty disk exported when the disk is local, nothing when it lives on a shared pool).
    /// Idempotent: asked again by a re-run, it answers the same endpoint.
    /// </summary>
    private async Task<IncomingEndpoint> PrepareTargetAsync(Migration m, Instance instance, CancellationToken ct)
    {
        var (source, target) = (await HostAsync(m.SourceHostId, ct), await HostAsync(m.TargetHostId!.Value, ct));
        return await PrepareTargetAsync(m, source, target, await SpecAsync(instance, ct), ct);
    }

    private Task<IncomingEndpoint> PrepareTargetAsync(Migration m, HostRef source, HostRef target, InstanceSpec spec, CancellationToken ct) =>
        hosts.PrepareIncomingAsync(new IncomingRequest(target, source, spec, m.Type), m.Id, ct);

    /// <summary>
    /// Starts pre-copy at the driver and follows it, recording rounds, until it switches over or ends. A switch to
    /// post-copy is recorded as its own stage (the push was pre-copy, the pull is post-copy, each with its times), and
    /// followed until every page is on the target.
    /// </summary>
    private async Task PreCopyAsync(Operation op, Migration m, Instance instance, IncomingEndpoint? endpoint, CancellationToken ct)
    {
        var (source, target) = (await HostAsync(m.SourceHostId, ct), await HostAsync(m.TargetHostId!.Value, ct));
        var driver = drivers.For(source.Hypervisor);
        var o = options.Value.Migration;
        if (m.Stage == MigrationStage.PreCopy)
        {
            var mbps = m.BandwidthMbps ?? await db.Hosts.AsNoTracking().Where(h => h.Id == source.Id || h.Id == target.Id)
                .MinAsync(h => h.Capacity.NetworkMbps, ct);
            if (mbps <= 0) throw new StayOnSource("The hosts declare no network capacity and the request named no bandwidth.");
            var spec = await SpecAsync(instance, ct);
            endpoint ??= await PrepareTargetAsync(m, source, target, spec, ct);
            await driver.StartLiveMigrationAsync(new LiveMigrationRequest(source, target, spec, endpoint,
                planner.LinkFor(mbps).BandwidthMiBps, m.MaxDowntimeMs ?? o.MaxDowntimeMs, m.Escalation, o.MaxRounds,
                m.TimeoutSecondsPerGiB ?? o.TimeoutSecondsPerGiB), ct);
        }

        var forced = false;
        while (true)
        {
            var status = await driver.GetLiveMigrationAsync(source, instance.Id, ct);
            if (m.Stage == MigrationStage.PreCopy)
            {
                foreach (var round in status.Rounds.Skip(m.Rounds.Count)) m.RecordRound(round);
                if (status.DiskTotalMiB > 0) m.RecordDiskCopy(status.DiskCopiedMiB, status.DiskTotalMiB);
                if (status.State == LiveMigrationState.Active) m.RecordTransfer(status.TransferredMiB, status.RemainingMiB);
            }
            switch (status.State)
            {
                case LiveMigrationState.Switched when m.Stage == MigrationStage.PostCopy:
                    m.RecordPulled(status.DowntimeMs, status.TotalMs, status.TransferredMiB);
                    await SaveProgressAsync(op, m, ct);
                    return;
                case LiveMigrationState.Switched:
                    m.RecordSwitchover(status.Outcome ?? PreCopyOutcome.Converged, status.DowntimeMs ?? 0, status.TotalMs, status.TransferredMiB);
                    m.Enter(MigrationStage.StopAndCopy, Now());
                    await SaveProgressAsync(op, m, ct);
                    return;
                case LiveMigrationState.PostCopy when m.Stage == MigrationStage.PreCopy:
                    // The push is over: the switch-over's pause, then the guest runs on the target while it pulls the rest.
                    m.RecordSwitchover(status.Outcome ?? PreCopyOutcome.PostCopy, status.DowntimeMs ?? 0, null, status.TransferredMiB);
                    m.Enter(MigrationStage.StopAndCopy, Now());
                    m.Enter(MigrationStage.PostCopy, Now());
                    m.RecordPull(status.TransferredMiB, status.RemainingMiB);
                    log.LogInformation("Migration {MigrationId}: instance {InstanceId} switched to post-copy with {MiB:F1} MiB to pull",
                        m.Id, instance.Id, status.RemainingMiB);
                    break;
                case LiveMigrationState.PostCopy:
                    m.RecordPull(status.TransferredMiB, status.RemainingMiB);
                    break;
                case LiveMigrationState.Failed:
                case LiveMigrationState.Cancelled:
                    await SaveProgressAsync(op, m, ct);
                    throw new StayOnSource(status.Error ?? "The hypervisor ended the migration.", status.State == LiveMigrationState.Cancelled);
            }
            await SaveProgressAsync(op, m, ct);
            if (m.Stage == MigrationStage.PostCopy)
            {
                await driver.WaitForLiveMigrationAsync(source, instance.Id, TimeSpan.FromMilliseconds(Math.Max(10, o.PollMilliseconds)), ct);
                continue;
            }
            var asked = await db.Migrations.AsNoTracking().Where(x => x.Id == m.Id)
                .Select(x => new { x.CancelRequested, x.ForceCompleteRequested }).SingleAsync(ct);
            if (asked.CancelRequested) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
            if (asked.ForceCompleteRequested && !forced)
            {
                await driver.ForceCompleteLiveMigrationAsync(source, instance.Id, ct);
                forced = true;
                continue;
            }
            await driver.WaitForLiveMigrationAsync(source, instance.Id, TimeSpan.FromMilliseconds(Math.Max(10, o.PollMilliseconds)), ct);
        }
    }

    /// <summary>The commitment: one transaction moves the instance and releases the source's claim.</summary>
    private async Task CommitAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        if (m.Stage is MigrationStage.StopAndCopy or MigrationStage.PostCopy)
        {
            if (m.Stage == MigrationStage.StopAndCopy && await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
            m.Enter(MigrationStage.Commitment, Now());
            await SaveProgressAsync(op, m, ct);
        }
        var (source, target) = (await HostAsync(m.SourceHostId, ct), await HostAsync(m.TargetHostId!.Value, ct));
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await claims.ReleaseHostAsync(source.Id, instance.Resources, instance.ClaimKind, ct);
            if (m.Type == MigrationType.Cold)
                // A VM to start again stays migrating until it runs on the target (activation); a stopped one is stopped there now.
                instance.CommitMigration(target.Id, m.RestartOnTarget ? InstanceStatus.Migrating : InstanceStatus.Stopped, Actors.Worker, op.Id, Now(),
                    $"Cold-migrated from host '{source.Name}' to '{target.Name}': {m.DiskTotalMiB ?? 0:F0} MiB of disk copied.");
            else
                // Migrating until the target runs it (activation): nothing else may act on a guest still paused there.
                instance.CommitMigration(target.Id, InstanceStatus.Migrating, Actors.Worker, op.Id, Now(),
                    $"Live-migrated from host '{source.Name}' to '{target.Name}': {m.Rounds.Count} pre-copy round(s), " +
                    $"{m.DowntimeMs:F0} ms of downtime ({EnumWords.ToWord(m.PreCopyOutcome ?? PreCopyOutcome.Converged)}" +
                    $"{(m.Stages.FirstOrDefault(x => x.Stage == MigrationStage.PostCopy) is { EndedAt: { } pulledAt } pull ? $", {(pulledAt - pull.StartedAt).TotalMilliseconds:F0} ms of pull" : "")}).");
            m.Enter(MigrationStage.Activation, Now());                         // ends the commitment: the VM is the target's
            await SaveProgressAsync(op, m, ct);
            await tx.CommitAsync(ct);
        }
        catch (Exception ex) when (ex is DbUpdateConcurrencyException or InvalidStateException)
        {
            throw new StayOnSource($"The instance changed during the commitment; the move was not recorded ({ex.Message}).");
        }
        snapshot.Adjust(source.Id, Resources.Zero - instance.Resources, -1, instance.ClaimKind);
        log.LogInformation("Migration {MigrationId}: instance {InstanceId} committed to host {Target}", m.Id, instance.Id, target.Name);
    }

    /// <summary>
    /// Cold migration after the reservation: stop (a running VM is shut off on the source) → copy-disks (the driver copies
    /// them to the target's storage; progress recorded) → register (the VM defined on the target, shut off) → commitment
    /// (one transaction, as for live) → activation (the source's copy removed; started on the target if it was running).
    /// Before commitment a failure or cancel discards the target's copy and starts the VM on the source again if it ran.
    /// </summary>
    private async Task DriveColdAsync(Operation op, Migration m, Instance instance, IncomingEndpoint? endpoint, CancellationToken ct)
    {
        var (source, target) = (await HostAsync(m.SourceHostId, ct), await HostAsync(m.TargetHostId!.Value, ct));
        var driver = drivers.For(source.Hypervisor);
        if (m.Stage == MigrationStage.Reservation)
        {
            if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
            m.Enter(MigrationStage.Stop, Now());
            await SaveProgressAsync(op, m, ct);
        }
        if (m.Stage == MigrationStage.Stop)
        {
            if (m.RestartOnTarget && await driver.GetPowerStateAsync(source, instance.Id, ct) == VmPowerState.Running)
                await driver.SetPowerAsync(source, instance.Id, PowerAction.Stop, ct);
            m.Enter(MigrationStage.CopyDisks, Now());
            await SaveProgressAsync(op, m, ct);
        }
        if (m.Stage == MigrationStage.CopyDisks)
        {
            var mbps = m.BandwidthMbps ?? await db.Hosts.AsNoTracking().Where(h => h.Id == source.Id || h.Id == target.Id)
                .MinAsync(h => h.Capacity.NetworkMbps, ct);
            var spec = await SpecAsync(instance, ct);
            endpoint ??= await PrepareTargetAsync(m, source, target, spec, ct);
            await driver.StartDiskCopyAsync(new DiskCopyRequest(source, target, spec, endpoint, planner.LinkFor(mbps).BandwidthMiBps), ct);
            while (true)
            {
                var status = await driver.GetDiskCopyAsync(source, instance.Id, ct);
                m.RecordDiskCopy(status.CopiedMiB, status.TotalMiB);
                if (status.State == DiskCopyState.Failed)
                {
                    await SaveProgressAsync(op, m, ct);
                    throw new StayOnSource(status.Error ?? "The hypervisor ended the disk copy.");
                }
                if (status.State == DiskCopyState.Synced)
                {
                    m.Enter(MigrationStage.Register, Now());
                    await SaveProgressAsync(op, m, ct);
                    break;
                }
                await SaveProgressAsync(op, m, ct);
                if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
                await Task.Delay(Math.Max(10, options.Value.Migration.PollMilliseconds), ct);
            }
        }
        if (m.Stage == MigrationStage.Register)
        {
            if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
            await hosts.RegisterCopyAsync(target, await SpecAsync(instance, ct), m.Id, ct);
            m.Enter(MigrationStage.Commitment, Now());
            await SaveProgressAsync(op, m, ct);
        }
        if (m.Stage == MigrationStage.Commitment) await CommitAsync(op, m, instance, ct);
        if (m.Stage == MigrationStage.Activation) await ActivateColdAsync(op, m, instance, ct);
    }

    /// <summary>
    /// Live storage migration: pre-migration (the pool still in the instance's zone) → reservation (the pool's space
    /// claimed; the disk's current place keeps its allocation) → copy (the driver mirrors the disk while the VM uses its
    /// source; progress recorded) → mirror (in sync: every write goes to both) → commitment (one transaction: the disk's
    /// old allocation released — the host's local disk or the old pool — and the instance reads the new pool) →
    /// activation (the driver pivots the VM onto the copy and deletes the source). Before commitment a failure or cancel
    /// stops the mirror, deletes the copy and releases the pool's claim: the VM keeps its disk where it was.
    /// </summary>
    private async Task DriveStorageAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        var host = await HostAsync(m.SourceHostId, ct);
        var driver = drivers.For(host.Hypervisor);
        var targetPool = await db.StoragePools.AsNoTracking().SingleOrDefaultAsync(p => p.Id == m.TargetPoolId, ct)
                         ?? throw new StayOnSource("The target pool no longer exists.");
        if (m.Stage == MigrationStage.PreMigration)
        {
            if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
            if (targetPool.ZoneId != instance.ZoneId) throw new StayOnSource($"Pool '{targetPool.Name}' is not in the instance's zone.");
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (!await claims.TryClaimPoolAsync(targetPool.Id, instance.DiskGiB, ct))
                throw new StayOnSource($"Pool '{targetPool.Name}' no longer has {instance.DiskGiB} GiB free.");
            m.MarkTargetClaimed(true);
            m.Enter(MigrationStage.Reservation, Now());
            await SaveProgressAsync(op, m, ct);
            await tx.CommitAsync(ct);
        }
        if (m.Stage == MigrationStage.Reservation)
        {
            m.Enter(MigrationStage.Copy, Now());
            await SaveProgressAsync(op, m, ct);
        }
        if (m.Stage == MigrationStage.Copy)
        {
            var mbps = m.BandwidthMbps ?? await db.Hosts.AsNoTracking().Where(h => h.Id == host.Id).Select(h => h.Capacity.NetworkMbps).SingleAsync(ct);
            var source = m.SourcePoolId is { } sp ? await db.StoragePools.AsNoTracking().Where(p => p.Id == sp).Select(p => p.Name).SingleOrDefaultAsync(ct) : null;
            await driver.StartStorageMirrorAsync(new StorageMirrorRequest(host, await SpecAsync(instance, ct), source, targetPool.Name,
                planner.LinkFor(mbps).BandwidthMiBps), ct);
            while (true)
            {
                var status = await driver.GetStorageMirrorAsync(host, instance.Id, ct);
                m.RecordDiskCopy(status.CopiedMiB, status.TotalMiB);
                if (status.State == DiskCopyState.Failed)
                {
                    await SaveProgressAsync(op, m, ct);
                    throw new StayOnSource(status.Error ?? "The hypervisor ended the mirror.");
                }
                if (status.State == DiskCopyState.Synced)
                {
                    m.Enter(MigrationStage.Mirror, Now());
                    await SaveProgressAsync(op, m, ct);
                    break;
                }
                await SaveProgressAsync(op, m, ct);
                if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
                await Task.Delay(Math.Max(10, options.Value.Migration.PollMilliseconds), ct);
            }
        }
        if (m.Stage == MigrationStage.Mirror)
        {
            // In sync: the copy receives every write. The switch needs the mirror still healthy and no cancel.
            if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
            var status = await driver.GetStorageMirrorAsync(host, instance.Id, ct);
            if (status.State != DiskCopyState.Synced) throw new StayOnSource(status.Error ?? "The mirror fell out of sync.");
            m.Enter(MigrationStage.Commitment, Now());
            await SaveProgressAsync(op, m, ct);
        }
        if (m.Stage == MigrationStage.Commitment)
        {
            var disk = instance.DiskGiB;
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                if (m.SourcePoolId is { } oldPool) await claims.ReleasePoolAsync(oldPool, disk, ct);
                else await claims.ReleaseHostDiskAsync(host.Id, disk, instance.ClaimKind, ct);
                instance.CommitDiskMove(targetPool.Id, Actors.Worker, op.Id, Now(),
                    $"Its {disk} GiB disk moved to pool '{targetPool.Name}' while it ran ({m.DiskTotalMiB ?? 0:F0} MiB copied, then mirrored until in sync).");
                m.Enter(MigrationStage.Activation, Now());
                await SaveProgressAsync(op, m, ct);
                await tx.CommitAsync(ct);
            }
            catch (Exception ex) when (ex is DbUpdateConcurrencyException or InvalidStateException)
            {
                throw new StayOnSource($"The instance changed during the commitment; the move was not recorded ({ex.Message}).");
            }
            if (m.SourcePoolId is null) snapshot.Adjust(host.Id, new Resources(0, 0, -disk, 0), 0, instance.ClaimKind);
        }
        if (m.Stage == MigrationStage.Activation)
        {
            await driver.PivotStorageMirrorAsync(host, instance.Id, ct);
            Activated(instance, op, $"Running on its copy on pool '{targetPool.Name}'; the source disk is deleted.");
            m.Complete($"Completed: {m.DiskTotalMiB ?? 0:F0} MiB copied to pool '{targetPool.Name}'.", Now());
            op.Succeed(Now());
            await db.SaveChangesAsync(ct);
            if (m.SourcePoolId is null) await dispatcher.RequestQueuePassAsync(CancellationToken.None);   // local disk freed
        }
    }

    /// <summary>Cold activation: the source's copy goes, and a VM that was running starts on the target.</summary>
    private async Task ActivateColdAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        var (source, target) = (await HostAsync(m.SourceHostId, ct), await HostAsync(m.TargetHostId!.Value, ct));
        await hosts.ActivateIncomingAsync(target, instance.Id, run: m.RestartOnTarget, m.Id, ct);
        if (!await IsDownAsync(source.Id, ct)) await hosts.CleanUpAsync(HostCall.ReleaseOutgoing, source, instance.Id, m.Id, wait: true, ct);
        if (m.RestartOnTarget)
        {
            m.RecordColdDowntime(Now());
            if (instance.Status == InstanceStatus.Migrating)
                instance.MoveTo(InstanceStatus.Running, "activated", Actors.Worker, op.Id, Now(),
                    $"Started on host '{target.Name}' after {m.DowntimeMs / 1000:F1} s off; its network port is bound there.");
        }
        else
        {
            m.RecordColdDowntime(Now());
            instance.Note("activated", Actors.Worker, op.Id, Now(), $"Registered on host '{target.Name}', stopped as it was; the source's copy is gone.");
        }
        m.Complete($"Completed: {m.DiskTotalMiB ?? 0:F0} MiB of disk copied{(m.RestartOnTarget ? $", {m.DowntimeMs / 1000:F1} s off" : "")}.", Now());
        op.Succeed(Now());
        await db.SaveChangesAsync(ct);
        await dispatcher.RequestQueuePassAsync(CancellationToken.None);
    }

    /// <summary>Activation: the driver runs the VM on the target (port rebound, address advertised) and drops the source's copy.</summary>
    private async Task ActivateAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        var (source, target) = (await HostAsync(m.SourceHostId, ct), await HostAsync(m.TargetHostId!.Value, ct));
        // A source declared down cannot let its copy go: fencing destroys it when the host answers again.
        var sourceDown = await IsDownAsync(source.Id, ct);
        // Committed: the paused source may go while the target resumes (a local call needs no database, so the two can overlap).
        var release = !sourceDown && hosts.IsLocal(source) ? hosts.CleanUpAsync(HostCall.ReleaseOutgoing, source, instance.Id, m.Id, wait: true, ct) : null;
        await hosts.ActivateIncomingAsync(target, instance.Id, run: true, m.Id, ct);
        if (!sourceDown) await (release ?? hosts.CleanUpAsync(HostCall.ReleaseOutgoing, source, instance.Id, m.Id, wait: true, ct));
        Activated(instance, op,
            $"Running on host '{target.Name}': its network port is bound there and its address is advertised from it; " +
            (sourceDown ? $"the copy left on host '{source.Name}' (down) is destroyed when it is fenced." : "the source's copy is gone."));
        m.Complete(m.PreCopyOutcome is { } outcome ? $"Completed ({EnumWords.ToWord(outcome)}, {m.DowntimeMs:F0} ms of downtime)." : "Completed.", Now());
        op.Succeed(Now());
        await db.SaveChangesAsync(ct);
        await dispatcher.RequestQueuePassAsync(CancellationToken.None);        // the source's capacity is free
    }

    /// <summary>
    /// Before commitment: the source stops sending, the target discards what it prepared, the target's claim is released,
    /// the instance runs (or sits stopped) on the source. From the reconciler (<paramref name="onSourceAgent"/> false:
    /// the agents may be gone) the hosts' clean-ups are queued for their agents, not waited for.
    /// </summary>
    private async Task EndOnSourceAsync(Guid operationId, Guid migrationId, string reason, bool cancelled, bool onSourceAgent, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var m = await db.Migrations.SingleAsync(x => x.Id == migrationId, ct);
        if (!m.IsLive) return;
        if (m.InPostCopy)
        {
            await LoseInPostCopyAsync(operationId, migrationId, reason, ct);
            return;
        }
        var instance = await db.Instances.SingleAsync(i => i.Id == m.InstanceId, ct);
        var op = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
        var source = await FindHostAsync(m.SourceHostId, ct);
        if (source is not null && m.Type == MigrationType.Storage && m.Stages.Any(s => s.Stage == MigrationStage.Copy))
            await hosts.CleanUpAsync(HostCall.AbortStorageMirror, source, instance.Id, m.Id, onSourceAgent, ct);
        // The target may have been asked to prepare as soon as the migration was accepted: whatever it did goes.
        if (m.TargetHostId is { } targetId && m.Type != MigrationType.Storage && await FindHostAsync(targetId, ct) is { } target)
        {
            if (source is not null) await hosts.CleanUpAsync(HostCall.CancelOutgoing, source, instance.Id, m.Id, onSourceAgent, ct);
            await hosts.CleanUpAsync(HostCall.DiscardIncoming, target, instance.Id, m.Id, onSourceAgent, ct);
        }
        var after = m.Type == MigrationType.Cold && !m.RestartOnTarget ? InstanceStatus.Stopped : InstanceStatus.Running;
        var where = "The instance keeps running on its host.";
        if (m.Type == MigrationType.Cold && m.RestartOnTarget && m.Stages.Any(s => s.Stage == MigrationStage.Stop))
        {
            // It was stopped for the copy: start it again where it is (from the source's own agent only: the reconciler
            // cannot know whether a queued start would ever run, so there the instance reads stopped).
            try
            {
                if (!onSourceAgent || source is null) throw new HypervisorException("its host's agent did not finish the migration", isTransient: false);
                if (await hosts.EnsureRunningAsync(source, instance.Id, m.Id, ct)) where = "The instance was started again on its host.";
            }
            catch (HypervisorException ex)
            {
                after = InstanceStatus.Stopped;
                where = $"The instance could not be started again on its host ({ex.Message}); it is stopped there — start it to retry.";
            }
        }
        else if (after == InstanceStatus.Stopped) where = "The instance stays stopped on its host.";
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var released = m.TargetClaimed ? m.TargetHostId : null;
        if (released is { } claimed)
        {
            await claims.ReleaseHostAsync(claimed, instance.Resources, instance.ClaimKind, ct);
            m.MarkTargetClaimed(false);
        }
        else if (m.TargetClaimed && m.TargetPoolId is { } pool)
        {
            await claims.ReleasePoolAsync(pool, instance.DiskGiB, ct);
            m.MarkTargetClaimed(false);
        }
        if (instance.Status == InstanceStatus.Migrating)
            instance.MoveTo(after, cancelled ? "migration-cancelled" : "migration-failed", Actors.Worker, operationId, Now(), $"{reason} {where}");
        if (cancelled)
        {
            m.Cancel(reason, Now());
            op.Cancel(reason, Now());
        }
        else
        {
            m.Fail(reason, Now());
            op.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.MigrationFailed), $"The migration failed. {where}", reason), Now());
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (released is { } t) snapshot.Adjust(t, Resources.Zero - instance.Resources, -1, instance.ClaimKind);
        log.LogInformation("Migration {MigrationId} {Outcome}; instance {InstanceId} stays on its host: {Reason}",
            m.Id, cancelled ? "cancelled" : "failed", instance.Id, reason);
    }

    /// <summary>
    /// Post-copy failed (a side lost, the stream broken): the guest ran on the target with part of its memory still on the
    /// source, so neither copy is whole. The instance fails, saying so; the target's partial copy is discarded and its
    /// claim released; the instance keeps its source's claim until it is deleted (which removes what is left there).
    /// </summary>
    private async Task LoseInPostCopyAsync(Guid operationId, Guid migrationId, string reason, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var m = await db.Migrations.SingleAsync(x => x.Id == migrationId, ct);
        var instance = await db.Instances.SingleAsync(i => i.Id == m.InstanceId, ct);
        var op = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
        var why = $"The guest was lost during post-copy (it ran on the target while pulling the rest of its memory from the source): {reason}";
        if (m.TargetHostId is { } targetId && await FindHostAsync(targetId, ct) is { } target)
            await hosts.CleanUpAsync(HostCall.DiscardIncoming, target, instance.Id, m.Id, wait: false, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var released = m.TargetClaimed ? m.TargetHostId : null;
        if (released is { } claimed)
        {
            await claims.ReleaseHostAsync(claimed, instance.Resources, instance.ClaimKind, ct);
            m.MarkTargetClaimed(false);
        }
        if (instance.Status == InstanceStatus.Migrating) instance.Fail(why, Actors.Worker, operationId, Now());
        m.Fail(why, Now());
        op.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.MigrationFailed), "The guest was lost during post-copy.", why), Now());
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        if (released is { } t) snapshot.Adjust(t, Resources.Zero - instance.Resources, -1, instance.ClaimKind);
        log.LogWarning("Migration {MigrationId}: instance {InstanceId} lost in post-copy: {Reason}", m.Id, instance.Id, reason);
    }

    public async Task HostDownAsync(Guid migrationId, Guid hostId, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var m = await db.Migrations.AsNoTracking().SingleOrDefaultAsync(x => x.Id == migrationId, ct);
        if (m?.OperationId is not { } operationId) return;
        var host = await db.Hosts.AsNoTracking().Where(h => h.Id == hostId).Select(h => h.Name).SingleOrDefaultAsync(ct) ?? hostId.ToString();
        var side = hostId == m.SourceHostId ? "source" : "target";
        var why = $"Its {side} host '{host}' stopped answering and was declared down";
        switch (m.WhenHostDown(hostId))
        {
            case HostDownOutcome.EndOnSource:
                await EndOnSourceAsync(operationId, m.Id, side == "source"
                    ? $"{why} before the target held the whole guest; the instance goes with its host's evacuation."
                    : $"{why}.", cancelled: false, onSourceAgent: false, ct);
                break;
            case HostDownOutcome.LostInPostCopy:
                await LoseInPostCopyAsync(operationId, m.Id, $"{why}.", ct);
                break;
            case HostDownOutcome.CommitOnTarget:
            {
                // The switch-over happened: the target holds the whole guest, paused. Commit there, and let the target's side finish.
                var op = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
                var tracked = await db.Migrations.SingleAsync(x => x.Id == m.Id, ct);
                var instance = await db.Instances.SingleAsync(i => i.Id == m.InstanceId, ct);
                try
                {
                    // A cancel asked for now cannot be honoured: the source that would resume the guest is gone.
                    if (tracked.Stage == MigrationStage.StopAndCopy)
                    {
                        tracked.Enter(MigrationStage.Commitment, Now());
                        await SaveProgressAsync(op, tracked, ct);
                    }
                    await CommitAsync(op, tracked, instance, ct);
                }
                catch (Exception ex) when (ex is StayOnSource or DbUpdateConcurrencyException)
                {
                    log.LogInformation("Migration {MigrationId} could not be committed for its down source yet: {Reason}", m.Id, ex.Message);
                    return;                                                     // changed meanwhile: the next tick looks again
                }
                instance.Note("source-failed", Actors.HostMonitor, operationId, Now(),
                    $"{why} after the switch-over: the target held the whole guest, so the move was committed there.");
                await db.SaveChangesAsync(ct);
                await RouteToTargetAsync(operationId, m, ct);
                break;
            }
            case HostDownOutcome.FinishOnTarget:
                await RouteToTargetAsync(operationId, m, ct);
                break;
            case HostDownOutcome.TargetFailed:
            {
                var op = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
                var tracked = await db.Migrations.SingleAsync(x => x.Id == m.Id, ct);
                var instance = await db.Instances.SingleAsync(i => i.Id == m.InstanceId, ct);
                // Committed there, not yet activated: a live guest (or a cold one to start again) counts as running there, a stopped
                // one as stopped — and goes with that host's evacuation.
                if (instance.Status == InstanceStatus.Migrating)
                    instance.MoveTo(m.Type == MigrationType.Cold && !m.RestartOnTarget ? InstanceStatus.Stopped : InstanceStatus.Running,
                        "migration-failed", Actors.HostMonitor, operationId, Now(), $"{why} before it was activated there.");
                tracked.Fail($"{why} after the commitment, before the instance was activated there.", Now());
                op.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.HostFailed), "The migration's target host failed.",
                    $"{why} after the commitment; the instance goes with that host's evacuation."), Now());
                await db.SaveChangesAsync(ct);
                break;
            }
        }
    }

    /// <summary>
    /// A committed migration whose job was carried by its source's agent (now gone): the operation moves to the target's
    /// queue so the target's agent finishes the activation. Work for hosts driven anywhere (fake) stays where it is.
    /// </summary>
    private async Task RouteToTargetAsync(Guid operationId, Migration m, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var op = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
        if (op.IsFinished || m.TargetHostId is not { } targetId || await FindHostAsync(targetId, ct) is not { } target) return;
        var queue = JobDispatcher.QueueFor(target.Hypervisor, target.Name);
        if (op.Queue == queue) return;
        op.Route(queue);
        await db.SaveChangesAsync(ct);
        await dispatcher.DispatchAsync(op, CancellationToken.None);
    }

    private Task<bool> IsDownAsync(Guid hostId, CancellationToken ct) =>
        db.Hosts.AsNoTracking().AnyAsync(h => h.Id == hostId && h.State == Domain.Inventory.HostState.Down, ct);

    /// <summary>The activation is done: the instance runs again (a re-run finds it running already and only notes it).</summary>
    private void Activated(Instance instance, Operation op, string detail)
    {
        if (instance.Status == InstanceStatus.Migrating) instance.MoveTo(InstanceStatus.Running, "activated", Actors.Worker, op.Id, Now(), detail);
        else instance.Note("activated", Actors.Worker, op.Id, Now(), detail);
    }

    /// <summary>After commitment the VM is the target's whatever failed: the migration fails, the instance says why.</summary>
    private async Task FailAfterCommitAsync(Guid operationId, Guid migrationId, string reason, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var m = await db.Migrations.SingleAsync(x => x.Id == migrationId, ct);
        var instance = await db.Instances.SingleAsync(i => i.Id == m.InstanceId, ct);
        var op = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
        var why = $"Activation on the target failed after the move was committed: {reason}";
        m.Fail(why, Now());
        if (instance.Status is InstanceStatus.Running or InstanceStatus.Migrating or InstanceStatus.Stopped) instance.Fail(why, Actors.Worker, operationId, Now());
        op.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.MigrationFailed), "The migrated instance could not be activated.", why), Now());
        await db.SaveChangesAsync(ct);
    }

    private Task<InstanceSpec> SpecAsync(Instance instance, CancellationToken ct) => InstanceSpecs.OfAsync(db, instance, ct);

    private async Task<bool> CancelRequestedAsync(Migration m, CancellationToken ct) =>
        await db.Migrations.AsNoTracking().Where(x => x.Id == m.Id).Select(x => x.CancelRequested).SingleAsync(ct);

    private async Task SaveProgressAsync(Operation op, Migration m, CancellationToken ct)
    {
        op.ReportProgress(m.Percent());
        await db.SaveChangesAsync(ct);
    }

    private async Task<HostRef> HostAsync(Guid id, CancellationToken ct) =>
        await FindHostAsync(id, ct) ?? throw new StayOnSource($"Host {id} no longer exists.");

    private Task<HostRef?> FindHostAsync(Guid id, CancellationToken ct) => HostRefs.FindAsync(db, id, ct);

    private DateTimeOffset Now() => db.Clock.GetUtcNow();

    /// <summary>A reason to end the migration before commitment, with the VM where it was.</summary>
    private sealed class StayOnSource(string message, bool cancelled = false) : Exception(message)
    {
        public bool Cancelled { get; } = cancelled;
    }
}
