using IaasApi.Infrastructure.Instances;
using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Hypervisors;

namespace IaasApi.Infrastructure.Hosts;

public sealed record HostHealthReport(int Down, int Evacuated, int Fencing)
{
    public bool Any => Down + Evacuated + Fencing > 0;
}

/// <summary>
/// Since when this process has been watching the heartbeats without a gap: silence is only judged over time the monitor
/// watched. A gap between two ticks longer than the down-after period (the control plane itself was stopped or
/// stalled) starts the watch again, so hosts get the chance to beat before any is declared down.
/// </summary>
public sealed class HostMonitorClock
{
    private DateTimeOffset? _since;
    private DateTimeOffset? _last;
    private readonly Lock _gate = new();

    public DateTimeOffset WatchingSince(DateTimeOffset now, TimeSpan downAfter)
    {
        lock (_gate)
        {
            if (_since is null || _last is not { } last || now - last > downAfter || now < last) _since = now;
            _last = now;
            return _since.Value;
        }
    }
}

/// <summary>
/// Runs in the tick. A host that has beaten before and has been silent for <c>Iaas:Health:HostDownAfterSeconds</c>
/// is declared <c>down</c> (placement stops at once: its configuration version moves) and evacuated: every instance
/// holding capacity there is dealt with in one transaction each (<see cref="Instance.Evacuate"/>), most important
/// first; the ones to restart join the queue, whose pass — right after, in the same tick — restarts them on other
/// hosts in SLA priority order. A down host that beats again is fenced (<see cref="HostJobs.FenceAsync"/>) before it
/// serves again. Re-entrant: an instance that could not be evacuated yet (migrating) is picked up by a later tick.
/// </summary>
/// <remarks>
/// The control plane coming back from an outage (or a stall) of its own does not see every host as silent: silence only
/// counts over time this process watched without a gap (<see cref="HostMonitorClock"/>), a host that never beat (its
/// agent never ran) is never declared down, and hosts the control plane beats for itself (fake) are not declared down
/// when none of them beat lately (its workers were overloaded: seen seeding 10,000 instances on 2 cores).
/// </remarks>
public sealed class HostMonitor(IaasDbContext db, OperationOutcomes outcomes, JobDispatcher dispatcher, HostMonitorClock watching,
                                IEnumerable<IHostDownWork> downWork, IOptions<IaasOptions> options, ILogger<HostMonitor> log) : Operations.ITickStep
{
    int Operations.ITickStep.Order => 100;

    async Task Operations.ITickStep.RunAsync(CancellationToken ct)
    {
        var health = await RunAsync(ct);
        if (health.Any) log.LogInformation("Tick: {Report}", health);
    }

    public async Task<HostHealthReport> RunAsync(CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        var downAfter = TimeSpan.FromSeconds(options.Value.Health.HostDownAfterSeconds);
        var down = 0;
        if (now - watching.WatchingSince(now, downAfter) >= downAfter)
        {
            var cutoff = now - downAfter;
            // Hosts whose driver runs anywhere are beaten for by the control plane's own worker processes, all at once: if
            // not one of them beat lately, it is those processes that are silent (stalled, overloaded, restarting), not
            // the hosts — none is declared down. A host with its own agent (qemu) answers for itself.
            var agentKinds = HypervisorDrivers.KnownKinds.Where(HypervisorDrivers.RunsOnHost).ToList();
            var sharedReporterAlive = await db.Hosts.AsNoTracking().AnyAsync(h => !agentKinds.Contains(h.Hypervisor) && h.LastHeartbeatAt >= cutoff, ct);
            var silent = await db.Hosts.AsNoTracking()
                .Where(h => h.State != HostState.Down && h.Power == HostPower.On && h.LastHeartbeatAt != null && h.LastHeartbeatAt < cutoff
                            && (sharedReporterAlive || agentKinds.Contains(h.Hypervisor)))
                .Select(h => h.Id).ToListAsync(ct);
            foreach (var id in silent)
                if (await MarkDownAsync(id, cutoff, ct)) down++;
        }

        var evacuated = 0;
        var fencing = 0;
        var downHosts = await db.Hosts.AsNoTracking().Where(h => h.State == HostState.Down).ToListAsync(ct);
        foreach (var host in downHosts)
        {
            // Migrations to or from it end first (by Clark's rule), so what stays on it is evacuated with the rest; one that
            // could not end yet holds the host's evacuation to the next tick (never an instance evacuated under a live migration).
            var ended = true;
            foreach (var work in downWork) ended &= await work.EndAsync(host, ct);
            if (!ended) continue;
            evacuated += await EvacuateAsync(host, ct);
            if (host.LastHeartbeatAt > host.DownSince && await StartFenceAsync(host, ct)) fencing++;
        }
        return new HostHealthReport(down, evacuated, fencing);
    }

    /// <summary>Declares the host down unless it beat since it was read (a conditional update: the beat wins the race).</summary>
    private async Task<bool> MarkDownAsync(Guid hostId, DateTimeOffset cutoff, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var host = await db.Hosts.SingleAsync(h => h.Id == hostId, ct);
        // Powered off (or booting) hosts do not beat: silence is expected of them.
        if (host.State == HostState.Down || host.Power != HostPower.On || host.LastHeartbeatAt is not { } last || last >= cutoff) return false;
        host.MarkDown(db.Clock.GetUtcNow());
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;       // changed meanwhile (an operator, a claim): the next tick looks again
        }
        log.LogWarning("Host {Host} is down: no heartbeat since {LastHeartbeat:u}", host.Name, last);
        return true;
    }

    /// <summary>
    /// Evacuates what still holds capacity on a down host, most important first, one transaction per instance; records
    /// a <c>host.evacuate</c> operation saying what became of each. Returns how many instances it dealt with.
    /// </summary>
    private async Task<int> EvacuateAsync(Host host, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var ids = await db.Instances.AsNoTracking()
            .Where(i => i.HostId == host.Id && i.Status != InstanceStatus.Migrating && i.Status != InstanceStatus.Deleted)
            .OrderByDescending(i => i.Priority).ThenBy(i => i.CreatedAt).ThenBy(i => i.Id)
            .Select(i => i.Id).ToListAsync(ct);
        // An evacuation a tick began and did not finish (its process died) is this one's to carry on and to end.
        var unfinished = await db.Operations.AsNoTracking()
            .Where(o => o.Kind == OperationKinds.HostEvacuate && o.ResourceId == host.Id && o.Status == OperationStatus.Running)
            .OrderBy(o => o.Id).Select(o => (Guid?)o.Id).FirstOrDefaultAsync(ct);
        if (ids.Count == 0 && unfinished is null) return 0;

        var now = db.Clock.GetUtcNow();
        var op = unfinished is { } earlier ? await db.Operations.SingleAsync(o => o.Id == earlier, ct)
                                           : new Operation(OperationKinds.HostEvacuate, "host", host.Id, null, null, now);
        if (unfinished is null) db.Operations.Add(op);
        await db.SaveChangesAsync(ct);
        var results = new Dictionary<EvacuationOutcome, List<string>>();
        foreach (var id in ids)
        {
            var (name, outcome) = await EvacuateInstanceAsync(host, id, op.Id, ct);
            if (name is not null) (results.TryGetValue(outcome, out var list) ? list : results[outcome] = []).Add(name);
        }

        db.ChangeTracker.Clear();
        var tracked = await db.Operations.SingleAsync(o => o.Id == op.Id, ct);
        tracked.Report(Summary(host, results) + (unfinished is null ? "" : " (Carried on after the tick that began it stopped midway.)"));
        tracked.Succeed(db.Clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        log.LogWarning("Evacuated host {Host}: {Summary}", host.Name, tracked.StatusReason);
        return results.Values.Sum(l => l.Count);
    }

    private async Task<(string? Name, EvacuationOutcome Outcome)> EvacuateInstanceAsync(Host host, Guid instanceId, Guid opId, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            db.ChangeTracker.Clear();
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var instance = await db.Instances.SingleAsync(i => i.Id == instanceId, ct);
                if (instance.HostId != host.Id) return (null, EvacuationOutcome.NotNow);
                var interrupted = instance.OperationId is { } current
                    ? await db.Operations.SingleOrDefaultAsync(o => o.Id == current && o.Status == OperationStatus.Running, ct)
                    : null;
                var now = db.Clock.GetUtcNow();
                var outcome = instance.Evacuate(host.Name, Actors.HostMonitor, opId, now);
                if (outcome == EvacuationOutcome.NotNow) return (null, outcome);
                // Whatever job was acting on it met an unreachable host; it ends here (the job finds its operation finished).
                interrupted?.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.HostFailed), "The instance's host failed.",
                    $"Host '{host.Name}' stopped answering and was declared down; the instance was evacuated."), now);
                // Lock order: tenant row (quota) before host rows (claims).
                if (outcome == EvacuationOutcome.Deleted) await outcomes.ReleaseQuotaAsync(instance, ct);
                await outcomes.ReleaseHostClaimAsync(instance, ct);
                if (outcome == EvacuationOutcome.Deleted) await outcomes.ReleasePooledDiskAsync(instance, ct);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                return (instance.Name, outcome);
            }
            catch (Exception ex) when (attempt < 5 && (ex is DbUpdateConcurrencyException || DatabaseErrors.IsTransientConflict(ex)))
            {
                // A job changed the instance meanwhile (it finished a step): read it again.
            }
        }
    }

    private static string Summary(Host host, Dictionary<EvacuationOutcome, List<string>> results)
    {
        string Part(EvacuationOutcome o, string what) =>
            results.TryGetValue(o, out var names) ? $" {names.Count} {what}: {string.Join(", ", names.Take(20))}{(names.Count > 20 ? ", …" : "")}." : "";
        return $"Host '{host.Name}' is down (no heartbeat since {host.LastHeartbeatAt:u})."
               + Part(EvacuationOutcome.Restart, "restart on other hosts in SLA priority order")
               + Part(EvacuationOutcome.Stopped, "stay stopped, off the host")
               + Part(EvacuationOutcome.Deleted, "deletes completed")
               + Part(EvacuationOutcome.LeftInError, "in error");
    }

    /// <summary>The host beat again while down: a fence job on its own queue destroys its stale copies, then it serves again.</summary>
    private async Task<bool> StartFenceAsync(Host host, CancellationToken ct)
    {
        if (await db.Operations.AnyAsync(o => o.Kind == OperationKinds.HostFence && o.ResourceId == host.Id && o.Status == OperationStatus.Running, ct))
            return false;
        var op = new Operation(OperationKinds.HostFence, "host", host.Id, null, null, db.Clock.GetUtcNow())
        {
            Queue = JobDispatcher.QueueFor(host.Hypervisor, host.Name),
        };
        db.ChangeTracker.Clear();
        db.Operations.Add(op);
        await db.SaveChangesAsync(ct);
        await dispatcher.DispatchAsync(op, ct);
        log.LogInformation("Host {Host} answers again; fencing it before it serves", host.Name);
        return true;
    }
}
