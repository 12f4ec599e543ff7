using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Agents;

namespace IaasApi.Infrastructure.VmMigrations;

/// <summary>
/// How migrations end other than by completing: on the source before the commitment, lost during post-copy, after the
/// commitment where the VM now is, and when one of their hosts is declared down.
/// </summary>
public sealed partial class MigrationJobs
{
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
                catch (DbUpdateConcurrencyException ex)
                {
                    log.LogInformation("Migration {MigrationId} could not be committed for its down source yet: {Reason}", m.Id, ex.Message);
                    return;                                                     // changed meanwhile: the next tick looks again
                }
                catch (StayOnSource ex)
                {
                    // The move cannot be recorded (the instance changed under it): the guest is lost with its source, and the
                    // instance goes with that host's evacuation rather than wait on a commitment that will not come.
                    var lost = $"{why} after the switch-over, and the move could not be committed on the target ({ex.Message}).";
                    await HostFailedAsync(operationId, m, lost, lost, "The migration's source host failed.",
                        $"{lost} The instance goes with its host's evacuation.", ct);
                    return;
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
                await HostFailedAsync(operationId, m, $"{why} after the commitment, before the instance was activated there.",
                    $"{why} before it was activated there.", "The migration's target host failed.",
                    $"{why} after the commitment; the instance goes with that host's evacuation.", ct);
                break;
        }
    }

    /// <summary>
    /// The migration fails with <c>host-failed</c> where it stands: its instance — committed on the failed host, or never
    /// moved off it — reads running there (a cold one not to be started, stopped) and goes with that host's evacuation.
    /// </summary>
    private async Task HostFailedAsync(Guid operationId, Migration m, string reason, string onInstance, string title, string detail,
                                       CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var op = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
        var tracked = await db.Migrations.SingleAsync(x => x.Id == m.Id, ct);
        var instance = await db.Instances.SingleAsync(i => i.Id == m.InstanceId, ct);
        if (instance.Status == InstanceStatus.Migrating)
            instance.MoveTo(m.Type == MigrationType.Cold && !m.RestartOnTarget ? InstanceStatus.Stopped : InstanceStatus.Running,
                "migration-failed", Actors.HostMonitor, operationId, Now(), onInstance);
        tracked.Fail(reason, Now());
        op.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.HostFailed), title, detail), Now());
        await db.SaveChangesAsync(ct);
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
}
