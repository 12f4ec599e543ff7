using IaasApi.Infrastructure.Placement;
using System.Text.Json;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;

namespace IaasApi.Infrastructure.VmMigrations;

/// <summary>
/// A migration plan as an operation executes it (stored in <see cref="Operation.Parameters"/> when the plan was asked
/// for): its moves, the hosts it frees (consolidation: powered off at the end) and what the planner predicted.
/// </summary>
public sealed record StoredPlan(string Kind, Guid ZoneId, IReadOnlyList<PlannedMove> Moves, IReadOnlyList<Guid> FreedHosts, double EstimatedTotalMs,
                                double? ImbalanceBefore = null, double? ImbalanceAfter = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static StoredPlan From(Operation op) =>
        JsonSerializer.Deserialize<StoredPlan>(op.Parameters ?? throw new InvalidOperationException($"Operation {op.Id} carries no plan."), Json)
        ?? throw new InvalidOperationException($"Operation {op.Id} carries no plan.");
}

/// <summary>
/// Executes a stored plan: each move a live migration to its planned host (a child <c>instance.migrate</c> of the
/// plan's operation), longest first, at most <c>Iaas:Maintenance:MaxParallelPerZone</c> in the zone at a time. A move
/// the target refuses for now (placement's filters: an anti-affinity partner still there, room another move frees) is
/// tried again while moves of the plan are in flight, and skipped once none is (nothing will change then); a move
/// that can no longer be made (the instance changed or went) is skipped; both are named. Re-entrant: what was tried is
/// the operation's children. Consolidation then powers off the freed hosts that are empty. The operation's report:
/// migrations completed / failed / skipped, hosts powered off, and the time taken against the estimate. It succeeds
/// only if it did everything the plan said; otherwise it fails — <c>partially-completed</c> when it did some of it —
/// with the reason.
/// </summary>
public sealed class PlanJobs(IaasDbContext db, MigrationStarter starter, HostPowerManager power, IOptions<IaasOptions> options,
                             ILogger<PlanJobs> log)
{
    public async Task RunAsync(Guid operationId, CancellationToken ct)
    {
        var poll = TimeSpan.FromMilliseconds(Math.Max(10, options.Value.Migration.PollMilliseconds));
        var limit = Math.Max(1, options.Value.Maintenance.MaxParallelPerZone);
        var skipped = new Dictionary<Guid, string>();
        while (true)
        {
            db.ChangeTracker.Clear();
            var op = await db.Operations.SingleOrDefaultAsync(o => o.Id == operationId, ct);
            if (op is null || op.IsFinished) return;
            var plan = StoredPlan.From(op);
            var tried = await db.Migrations.AsNoTracking()
                .Where(m => db.Operations.Any(c => c.Id == m.OperationId && c.ParentId == operationId))
                .Select(m => new { m.InstanceId, m.Status, m.Reason }).ToListAsync(ct);
            var triedIds = tried.Select(t => t.InstanceId).ToHashSet();
            var inFlight = tried.Count(t => t.Status is MigrationStatus.Queued or MigrationStatus.Running);
            var completed = tried.Count(t => t.Status == MigrationStatus.Completed);
            var failed = tried.Where(t => t.Status is MigrationStatus.Failed or MigrationStatus.Cancelled).ToList();
            var pending = plan.Moves.Where(m => !triedIds.Contains(m.InstanceId) && !skipped.ContainsKey(m.InstanceId))
                .OrderByDescending(m => m.MigrationMs).ThenBy(m => m.InstanceId).ToList();

            if (pending.Count == 0 && inFlight == 0)
            {
                var poweredOff = plan.Kind == OperationKinds.ZoneConsolidate ? await PowerOffFreedAsync(plan, op.Id, skipped, ct) : [];
                op = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
                var took = (Now() - op.CreatedAt).TotalSeconds;
                var report = $"{completed} of {plan.Moves.Count} migration(s) completed in {took:F1} s (the model estimated {plan.EstimatedTotalMs / 1000:F1} s)."
                    + (plan.Kind == OperationKinds.ZoneConsolidate ? $" {poweredOff.Count} of {plan.FreedHosts.Count} freed host(s) powered off." : "")
                    + (plan.ImbalanceBefore is { } b ? $" Imbalance {b:F3} → {plan.ImbalanceAfter:F3} planned." : "")
                    + (failed.Count > 0 ? $" Failed: {string.Join("; ", failed.Take(10).Select(f => $"{f.InstanceId}: {f.Reason}"))}." : "")
                    + (skipped.Count > 0 ? $" Skipped: {string.Join("; ", skipped.Take(10).Select(s => $"{s.Key}: {s.Value}"))}." : "");
                op.Report(Text.Cap(report)!);
                var freedAll = plan.Kind != OperationKinds.ZoneConsolidate || poweredOff.Count == plan.FreedHosts.Count;
                if (completed == plan.Moves.Count && freedAll) op.Succeed(Now());
                else if (completed == 0 && (plan.Kind != OperationKinds.ZoneConsolidate || poweredOff.Count == 0))
                    op.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.MigrationFailed),
                        plan.Moves.Count > 0 ? "No migration of the plan completed." : "No host the plan freed could be powered off.", Text.Cap(report)), Now());
                else
                    op.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.PartiallyCompleted), "The plan was carried out only in part.", Text.Cap(report)), Now());
                await db.SaveChangesAsync(ct);
                log.LogInformation("{Kind} of zone {Zone}: {Report}", plan.Kind, plan.ZoneId, report);
                return;
            }

            var zoneLive = await db.Migrations.AsNoTracking().CountAsync(m => (m.Status == MigrationStatus.Queued || m.Status == MigrationStatus.Running)
                && db.Hosts.Any(h => h.Id == m.SourceHostId && h.ZoneId == plan.ZoneId), ct);
            var room = Math.Max(0, limit - zoneLive);
            var started = 0;
            var refused = new Dictionary<Guid, string>();
            foreach (var move in pending)
            {
                if (started >= room) break;
                try
                {
                    await starter.StartAsync(move.InstanceId, MigrationType.Live, move.To, null, null, Actors.Worker, ct, parentOperationId: operationId);
                    started++;
                }
                catch (NoValidHostException ex)
                {
                    refused[move.InstanceId] = ex.Message;                  // perhaps until another move leaves its target
                    db.ChangeTracker.Clear();
                }
                catch (Exception ex) when (ex is InvalidStateException or NotFoundException or FieldValidationException or DbUpdateConcurrencyException)
                {
                    skipped[move.InstanceId] = ex.Message;
                    db.ChangeTracker.Clear();
                }
            }
            // Nothing of the plan in flight and nothing started: what the targets refuse now they will refuse for good.
            if (inFlight == 0 && started == 0 && room > 0)
                foreach (var (id, why) in refused) skipped[id] = why;
            op = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
            op.ReportProgress(plan.Moves.Count == 0 ? 99 : 100 * (completed + failed.Count + skipped.Count) / plan.Moves.Count);
            op.Report($"Executing: {completed} completed, {inFlight} migrating, {pending.Count} to start, {failed.Count} failed, {skipped.Count} skipped.");
            await db.SaveChangesAsync(ct);
            await Task.Delay(poll, ct);
        }
    }

    /// <summary>The plan's freed hosts that are empty now are powered off; one that is not (something landed on it) stays on, named.</summary>
    private async Task<List<Guid>> PowerOffFreedAsync(StoredPlan plan, Guid operationId, Dictionary<Guid, string> skipped, CancellationToken ct)
    {
        var done = new List<Guid>();
        foreach (var hostId in plan.FreedHosts)
        {
            var host = await db.Hosts.AsNoTracking().SingleOrDefaultAsync(h => h.Id == hostId, ct);
            if (host is null) continue;
            if (host.Power == HostPower.Off) { done.Add(hostId); continue; }
            try
            {
                await power.PowerOffAsync(hostId, $"consolidation {operationId} freed it", null, ct);
                done.Add(hostId);
            }
            catch (InvalidStateException ex)
            {
                skipped[hostId] = ex.Message;
            }
        }
        return done;
    }

    private DateTimeOffset Now() => db.Clock.GetUtcNow();
}
