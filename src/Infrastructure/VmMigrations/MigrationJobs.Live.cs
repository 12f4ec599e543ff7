using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Agents;

namespace IaasApi.Infrastructure.VmMigrations;

/// <summary>Live migration's own stages: pre-copy (and post-copy's pull) and activation (see <see cref="MigrationJobs"/>).</summary>
public sealed partial class MigrationJobs
{
    /// <summary>
    /// Starts pre-copy at the driver and follows it, recording rounds, until it switches over or ends: each turn of the
    /// loop advances it (the driver acts on what it sees: the memory after the disk, the escalation past the budget) and
    /// records where that left it, then waits for the next event or poll interval. A switch to
    /// post-copy is recorded as its own stage (the push was pre-copy, the pull is post-copy, each with its times), and
    /// followed until every page is on the target.
    /// </summary>
    private async Task PreCopyAsync(Operation op, Migration m, Instance instance, IncomingEndpoint? endpoint, CancellationToken ct)
    {
        var (source, target) = await EndsAsync(m, ct);
        var driver = drivers.For<ILiveMigrationDriver>(source.Hypervisor);
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
            var status = await driver.AdvanceLiveMigrationAsync(source, instance.Id, ct);
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
                    await EnterAsync(op, m, MigrationStage.StopAndCopy, ct);
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

    /// <summary>Activation: the driver runs the VM on the target (port rebound, address advertised) and drops the source's copy.</summary>
    private async Task ActivateAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        var (source, target) = await EndsAsync(m, ct);
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
        await passes.RequestAsync(CancellationToken.None);        // the source's capacity is free
    }
}
