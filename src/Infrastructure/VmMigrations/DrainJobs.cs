using IaasApi.Domain.Instances;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;

namespace IaasApi.Infrastructure.VmMigrations;

/// <summary>
/// Empties a host in maintenance: its running instances are live-migrated away, the most important (SLA priority)
/// first, at most <c>Iaas:Maintenance:MaxParallelPerHost</c> out of this host and <c>MaxParallelPerZone</c> out of its
/// zone at a time; an instance whose migrations fail <c>MaxAttemptsPerInstance</c> times, or that no host can take, is
/// given up on and named. Re-entrant: everything it needs is in the database (the migrations out of this host since the
/// drain began), so a re-driven run carries on. Ends when nothing runs on the host any more (or the host leaves
/// maintenance: cancelled).
/// </summary>
public sealed class DrainJobs(IaasDbContext db, MigrationStarter starter, MigrationPlanner planner, IOptions<IaasOptions> options,
                              ILogger<DrainJobs> log)
{
    public async Task RunAsync(Guid operationId, CancellationToken ct)
    {
        var o = options.Value.Maintenance;
        var poll = TimeSpan.FromMilliseconds(Math.Max(10, options.Value.Migration.PollMilliseconds));
        var refused = new Dictionary<(Guid, MigrationType), string>();             // no host could take it that way (this run)
        var estimates = new Dictionary<(Guid, MigrationType), double>();            // predicted migration time, ms
        double? estimatedTotal = null;
        while (true)
        {
            db.ChangeTracker.Clear();
            var op = await db.Operations.SingleOrDefaultAsync(x => x.Id == operationId, ct);
            if (op is null || op.IsFinished || op.ResourceId is not { } hostId) return;
            var host = await db.Hosts.AsNoTracking().SingleOrDefaultAsync(h => h.Id == hostId, ct);
            if (host is null || host.State != HostState.Maintenance)
            {
                op.Cancel("The host left maintenance before it was drained.", Now());
                await db.SaveChangesAsync(ct);
                return;
            }

            var since = op.CreatedAt;
            // What is on the host: holding capacity there (migrating out included, until its commitment moves it).
            var onHost = await db.Instances.AsNoTracking()
                .Where(i => i.HostId == hostId && i.Status != InstanceStatus.Deleted)
                .ToListAsync(ct);
            var planIds = onHost.Where(i => i.SlaPlanId != null).Select(i => i.SlaPlanId!.Value).Distinct().ToList();
            var allowCold = (await db.SlaPlans.AsNoTracking().Where(p => planIds.Contains(p.Id) && p.MigrationAllowCold).Select(p => p.Id).ToListAsync(ct))
                .ToHashSet();
            var outOfHost = await db.Migrations.AsNoTracking().Where(m => m.SourceHostId == hostId && m.CreatedAt >= since)
                .Select(m => new { m.InstanceId, m.Type, m.Status, m.Reason }).ToListAsync(ct);
            var moved = outOfHost.Count(m => m.Status == MigrationStatus.Completed);
            var failures = outOfHost.Where(m => m.Status is MigrationStatus.Failed or MigrationStatus.Cancelled)
                .GroupBy(m => (m.InstanceId, m.Type)).ToDictionary(g => g.Key, g => (Count: g.Count(), Last: g.Last().Reason));
            bool Exhausted(Guid id, MigrationType type) =>
                refused.ContainsKey((id, type)) || failures.GetValueOrDefault((id, type)).Count >= Math.Max(1, o.MaxAttemptsPerInstance);
            // Stopped instances move cold; running ones live, or cold once live is impossible if their plan allows the downtime.
            MigrationType TypeFor(Instance i) =>
                i.Status == InstanceStatus.Stopped || (i.SlaPlanId is { } p && allowCold.Contains(p) && Exhausted(i.Id, MigrationType.Live))
                    ? MigrationType.Cold : MigrationType.Live;
            string Why(Instance i, MigrationType type) => refused.TryGetValue((i.Id, type), out var why) ? why : failures[(i.Id, type)].Last;
            var givenUp = onHost.Where(i => i.Status is InstanceStatus.Running or InstanceStatus.Stopped && Exhausted(i.Id, TypeFor(i)))
                .ToDictionary(i => i.Id, i => Why(i, TypeFor(i)));
            // A migration past its commitment has moved the instance off the host but is still activating it: in flight.
            var migrating = Math.Max(onHost.Count(i => i.Status == InstanceStatus.Migrating),
                                     outOfHost.Count(m => m.Status is MigrationStatus.Queued or MigrationStatus.Running));
            var movable = onHost.Where(i => i.Status is InstanceStatus.Running or InstanceStatus.Stopped && !givenUp.ContainsKey(i.Id)).ToList();
            foreach (var i in movable.Where(i => !estimates.ContainsKey((i.Id, TypeFor(i)))))
                estimates[(i.Id, TypeFor(i))] = await planner.EstimateMsAsync(host, i, ct, TypeFor(i));
            double Estimate(Instance i) => estimates[(i.Id, TypeFor(i))];
            // Priority first; within a priority, longest first: the batch ends sooner within the parallel limit.
            var toMove = movable.OrderByDescending(i => i.Priority).ThenByDescending(Estimate).ThenBy(i => i.Id).ToList();
            estimatedTotal ??= MigrationBatch.TotalMs(toMove.Select(Estimate), Math.Max(1, o.MaxParallelPerHost));
            var busy = onHost.Count(i => InstanceTransitions.IsTransitional(i.Status) && i.Status != InstanceStatus.Migrating);
            var staying = onHost.Where(i => i.Status is not (InstanceStatus.Running or InstanceStatus.Stopped) && !InstanceTransitions.IsTransitional(i.Status))
                .ToList();

            if (migrating == 0 && toMove.Count == 0 && busy == 0)
            {
                var summary = $"Moved {moved} instance(s) off host '{host.Name}' in {(Now() - since).TotalSeconds:F1} s"
                    + (estimatedTotal is { } e ? $" (the model estimated {e / 1000:F1} s of migration, {Math.Max(1, o.MaxParallelPerHost)} at a time)." : ".")
                    + (staying.Count > 0 ? $" {staying.Count} stay (neither running nor stopped): {Names(staying.Select(i => $"{i.Name} ({EnumWords.ToWord(i.Status)})"))}." : "")
                    + (givenUp.Count > 0 ? $" Could not move {givenUp.Count}: {string.Join("; ", givenUp.Select(g => $"{g.Key}: {g.Value}"))}" : "");
                if (givenUp.Count > 0)
                    op.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.MigrationFailed), "The host could not be drained completely.", Text.Cap(summary)), Now());
                else
                {
                    op.Report(summary);
                    op.Succeed(Now());
                }
                await db.SaveChangesAsync(ct);
                log.LogInformation("Drain of host {Host}: {Summary}", host.Name, summary);
                return;
            }

            var zoneLive = await db.Migrations.AsNoTracking().CountAsync(m => (m.Status == MigrationStatus.Queued || m.Status == MigrationStatus.Running)
                && db.Hosts.Any(h => h.Id == m.SourceHostId && h.ZoneId == host.ZoneId), ct);
            var room = Math.Min(Math.Max(1, o.MaxParallelPerHost) - migrating, Math.Max(1, o.MaxParallelPerZone) - zoneLive);
            foreach (var instance in toMove.Take(Math.Max(0, room)))
            {
                var type = TypeFor(instance);
                try
                {
                    await starter.StartAsync(instance.Id, type, null, null, null, Actors.Worker, ct);
                }
                catch (Exception ex) when (ex is NoValidHostException or InvalidStateException or DbUpdateConcurrencyException)
                {
                    if (ex is NoValidHostException) refused[(instance.Id, type)] = ex.Message;   // nowhere to go that way: retrying now will not help
                    db.ChangeTracker.Clear();
                }
            }

            var total = moved + onHost.Count;
            op = await db.Operations.SingleAsync(x => x.Id == operationId, ct);
            op.ReportProgress(total == 0 ? 99 : 100 * moved / total);
            op.Report($"Draining: {moved} moved, {migrating} migrating, {toMove.Count} to go; about " +
                      $"{MigrationBatch.TotalMs(toMove.Select(Estimate), Math.Max(1, o.MaxParallelPerHost)) / 1000:F1} s of migration left.");
            await db.SaveChangesAsync(ct);
            await Task.Delay(poll, ct);
        }
    }

    private static string Names(IEnumerable<string> names) => string.Join(", ", names.Take(10));

    private DateTimeOffset Now() => db.Clock.GetUtcNow();
}
