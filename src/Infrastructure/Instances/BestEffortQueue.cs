using IaasApi.Infrastructure.Instances;
using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;
using IaasApi.Domain.Tenancy;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Infrastructure.Instances;

public sealed record QueuePassReport(int Expired, int Examined, int Placed);

/// <summary>
/// The best-effort queue: instances that are <c>pending</c> outside any reservation, and preempted (<c>suspended</c>)
/// ones waiting to resume. Order: higher SLA priority first, then first come, first served. A pass walks the queue in
/// that order and starts every instance that fits now — a small request behind a blocked big one starts if it fits
/// (backfilling) — and records, on the rest, what they wait for. Runs on every tick and whenever capacity frees.
/// Several passes at once are safe: each start is its own transaction, guarded by the instance's version.
/// </summary>
public sealed class BestEffortQueue(
    IaasDbContext db,
    WaitingPlacement placement,
    CapacityClaims claims,
    JobDispatcher dispatcher,
    IOptions<IaasOptions> options,
    ILogger<BestEffortQueue> log) : Operations.ITickStep
{
    int Operations.ITickStep.Order => 300;

    Task Operations.ITickStep.RunAsync(CancellationToken ct) => RunAsync(ct);

    public async Task<QueuePassReport> RunAsync(CancellationToken ct)
    {
        var expired = await ExpireAsync(ct);
        // One read of the queue: a refusal is decided on the in-memory snapshot, so the instances that cannot start cost
        // no round trip each, and a long tail of them cannot hide one further back that fits (a per-instance read with a
        // small cap did exactly that once hundreds of unplaceable requests queued ahead).
        var queued = await Queued(db).AsNoTracking().Take(Math.Max(1, options.Value.Scheduling.QueuePassLimit)).ToListAsync(ct);
        int placed = 0;
        var fresh = true;
        foreach (var instance in queued)
        {
            db.ChangeTracker.Clear();
            db.Instances.Attach(instance);          // as read; a change since then loses at SaveChanges (concurrency token)
            var id = instance.Id;
            try
            {
                var op = await placement.PlaceWaitingAsync(instance, fresh, ct);
                fresh = false;
                await dispatcher.DispatchAsync(op, CancellationToken.None);
                placed++;
            }
            catch (NoValidHostException refused)
            {
                fresh = false;
                await RecordWaitAsync(instance, WaitingPlacement.WaitReason(refused), ct);
            }
            catch (Exception ex) when (ex is DbUpdateConcurrencyException || DatabaseErrors.IsTransientConflict(ex))
            {
                log.LogDebug("Queued instance {InstanceId} changed while being placed; the next pass sees it", id);
            }
            catch (Exception ex) when (ex is DomainException)
            {
                log.LogWarning("Queued instance {InstanceId} cannot be placed: {Message}", id, ex.Message);
                await RecordWaitAsync(instance, ex.Message, ct);
            }
        }
        db.ChangeTracker.Clear();
        if (placed + expired > 0) log.LogInformation("Queue pass: {Placed} started, {Expired} expired, {Waiting} still waiting", placed, expired, queued.Count - placed);
        return new QueuePassReport(expired, queued.Count, placed);
    }

    /// <summary>The queue, in order: pending outside reservations, and suspended ones whose suspend has completed.</summary>
    public static IQueryable<Instance> Queued(IaasDbContext db) =>
        db.Instances
            .Where(i => (i.Status == InstanceStatus.Pending && i.ReservationId == null)
                        || (i.Status == InstanceStatus.Suspended && i.HostId == null
                            && !db.Operations.Any(o => o.Id == i.OperationId && o.Status == OperationStatus.Running)))
            .OrderByDescending(i => i.Priority).ThenBy(i => i.QueuedAt).ThenBy(i => i.Id);

    public static bool IsQueued(Instance i) =>
        (i.Status == InstanceStatus.Pending && i.ReservationId is null) || (i.Status == InstanceStatus.Suspended && i.HostId == null);


    /// <summary>A pending instance's reason is what it waits for; a suspended one keeps why it was preempted (it says it resumes when capacity frees).</summary>
    private async Task RecordWaitAsync(Instance instance, string reason, CancellationToken ct)
    {
        if (instance.StatusReason == reason || instance.Status != InstanceStatus.Pending) return;
        // Informational: no version bump, so a client's ETag stays valid while its instance waits.
        await db.Instances.Where(i => i.Id == instance.Id && i.Status == InstanceStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.StatusReason, Text.Cap(reason)), ct);
        if (instance.OperationId is { } opId)
            await db.Operations.Where(o => o.Id == opId && o.Waiting)
                .ExecuteUpdateAsync(s => s.SetProperty(o => o.StatusReason, Text.Cap(reason)), ct);
    }

    /// <summary>Best-effort instances that waited past their <c>maxWaitSeconds</c> fail; their quota returns.</summary>
    private async Task<int> ExpireAsync(CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        var due = await db.Instances.AsNoTracking()
            .Where(i => i.Status == InstanceStatus.Pending && i.ReservationId == null && i.ExpiresAt != null && i.ExpiresAt <= now)
            .OrderBy(i => i.ExpiresAt).Select(i => i.Id).Take(500).ToListAsync(ct);
        var expired = 0;
        foreach (var id in due)
        {
            db.ChangeTracker.Clear();
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var instance = await db.Instances.SingleAsync(i => i.Id == id, ct);
                if (instance.Status != InstanceStatus.Pending) continue;
                var op = instance.OperationId is { } opId ? await db.Operations.SingleOrDefaultAsync(o => o.Id == opId, ct) : null;
                var waited = instance.QueuedAt is { } since ? (now - since).TotalSeconds : 0;
                var reason = $"Waited {waited:0} s in the best-effort queue (maxWaitSeconds) without capacity; gave up.";
                await ReleaseQuotaAsync(instance, ct);
                instance.GiveUpWaiting(reason, Actors.Scheduler, op?.Id, now);
                op?.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.QueueTimeout), "No capacity freed in time.", reason), now);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                await ParentOperations.RollUpAsync(db, op?.ParentId, ct);
                expired++;
            }
            catch (DbUpdateConcurrencyException)
            {
                log.LogDebug("Queued instance {InstanceId} changed while expiring; the next pass sees it", id);
            }
        }
        db.ChangeTracker.Clear();
        return expired;
    }

    private async Task ReleaseQuotaAsync(Instance instance, CancellationToken ct)
    {
        if (!instance.QuotaClaimed) return;
        await claims.ReleaseQuotaAsync(instance.TenantId, Usage.Of(instance.Resources, 1), ct);
        instance.ReleaseQuota();
    }
}
