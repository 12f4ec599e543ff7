using IaasApi.Infrastructure.Instances;
using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;
using IaasApi.Infrastructure.Agents;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Infrastructure.VmMigrations;

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
public sealed partial class MigrationJobs(
    IaasDbContext db,
    HypervisorDrivers drivers,
    CapacityClaims claims,
    MigrationPlanner planner,
    HostSnapshot snapshot,
    JobDispatcher dispatcher,
    QueuePasses passes,
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
            await EnterAsync(op, m, MigrationStage.PreMigration, ct);
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
            await EnterAsync(op, m, MigrationStage.PreCopy, ct);
        }
        if (m.Stage is MigrationStage.PreCopy or MigrationStage.PostCopy) await PreCopyAsync(op, m, instance, endpoint, ct);
        if (m.Stage is MigrationStage.StopAndCopy or MigrationStage.PostCopy or MigrationStage.Commitment) await CommitAsync(op, m, instance, ct);
        if (m.Stage == MigrationStage.Activation) await ActivateAsync(op, m, instance, ct);
    }

    /// <summary>Pre-migration checks, then the reservation: the target's capacity claimed in the stage's transaction.</summary>
    private async Task ReserveTargetAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        await ThrowIfCancelRequestedAsync(m, ct);
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
        await EnterAsync(op, m, MigrationStage.Reservation, ct);
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
        var (source, target) = await EndsAsync(m, ct);
        return await PrepareTargetAsync(m, source, target, await SpecAsync(instance, ct), ct);
    }

    private Task<IncomingEndpoint> PrepareTargetAsync(Migration m, HostRef source, HostRef target, InstanceSpec spec, CancellationToken ct) =>
        hosts.PrepareIncomingAsync(new IncomingRequest(target, source, spec, m.Type), m.Id, ct);

    /// <summary>The commitment: one transaction moves the instance and releases the source's claim.</summary>
    private async Task CommitAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        if (m.Stage is MigrationStage.StopAndCopy or MigrationStage.PostCopy)
        {
            if (m.Stage == MigrationStage.StopAndCopy) await ThrowIfCancelRequestedAsync(m, ct);
            await EnterAsync(op, m, MigrationStage.Commitment, ct);
        }
        var (source, target) = await EndsAsync(m, ct);
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

    /// <summary>The activation is done: the instance runs again (a re-run finds it running already and only notes it).</summary>
    private void Activated(Instance instance, Operation op, string detail)
    {
        if (instance.Status == InstanceStatus.Migrating) instance.MoveTo(InstanceStatus.Running, "activated", Actors.Worker, op.Id, Now(), detail);
        else instance.Note("activated", Actors.Worker, op.Id, Now(), detail);
    }

    /// <summary>A reason to end the migration before commitment, with the VM where it was.</summary>
    private sealed class StayOnSource(string message, bool cancelled = false) : Exception(message)
    {
        public bool Cancelled { get; } = cancelled;
    }
}
