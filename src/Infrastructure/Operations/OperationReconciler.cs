using Hangfire;
using Hangfire.States;
using Hangfire.Storage;
using IaasApi.Domain.Operations;

namespace IaasApi.Infrastructure.Operations;

public sealed record OperationReconcileReport(int Examined, int Redriven, int GivenUp, int RolledUp);

/// <summary>
/// Closes the gaps between the database and the job queue, so every accepted request reaches a terminal status:
/// an operation still <c>running</c> and untouched for <c>StuckAfterSeconds</c> whose job is missing (committed but
/// never enqueued, lost with in-memory storage), finished, failed, or held by a dead server is re-enqueued; after
/// <c>MaxRedrives</c> it is failed the same way a permanent driver error fails it. Work that is legitimately waiting
/// (enqueued for a host agent that is not running yet, scheduled for a retry, processing on a live server) is left alone.
/// </summary>
public sealed class OperationReconciler(
    IaasDbContext db,
    JobStorage storage,
    JobDispatcher dispatcher,
    Operations.OperationKindRegistry kinds,
    IServiceProvider services,
    IOptions<IaasOptions> options,
    ILogger<OperationReconciler> log) : Operations.ITickStep
{
    int Operations.ITickStep.Order => 0;

    async Task Operations.ITickStep.RunAsync(CancellationToken ct)
    {
        var report = await RunAsync(ct);
        if (report.Redriven + report.GivenUp + report.RolledUp > 0) log.LogInformation("Tick: {Report}", report);
    }

    public async Task<OperationReconcileReport> RunAsync(CancellationToken ct)
    {
        var o = options.Value.Reconciler;
        var now = db.Clock.GetUtcNow();
        var cutoff = now - TimeSpan.FromSeconds(o.StuckAfterSeconds);
        var stale = await db.Operations
            .Where(op => op.Status == OperationStatus.Running && op.Queue != null && op.UpdatedAt < cutoff)
            .OrderBy(op => op.Id).Take(500).ToListAsync(ct);

        var liveServers = LiveServers();
        int redriven = 0, givenUp = 0;
        foreach (var op in stale)
        {
            try
            {
                if (IsStillCarried(op.JobId, liveServers)) continue;
                if (op.Redrives >= o.MaxRedrives)
                {
                    await GiveUpAsync(op, ct);
                    givenUp++;
                }
                else
                {
                    op.Redrive();
                    await db.SaveChangesAsync(ct);       // version check: loses to a job that just moved it on
                    await dispatcher.DispatchAsync(op, ct);
                    redriven++;
                    log.LogInformation("Re-drove {Kind} {OperationId} (re-drive {N})", op.Kind, op.Id, op.Redrives);
                }
            }
            catch (DbUpdateConcurrencyException)
            {
                db.ChangeTracker.Clear();              // a job is working on it right now: not stuck
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                db.ChangeTracker.Clear();              // one bad row must not stop the others
                log.LogError(ex, "Could not reconcile {Kind} {OperationId}", op.Kind, op.Id);
            }
        }
        var rolledUp = await RollUpOrphanParentsAsync(ct);
        return new OperationReconcileReport(stale.Count, redriven, givenUp, rolledUp);
    }

    private async Task GiveUpAsync(Operation op, CancellationToken ct)
    {
        var error = new OperationError(ProblemTypes.Uri(ProblemTypes.GaveUp), "The operation did not complete.",
            $"Gave up after {op.Redrives} re-drives and {op.Attempts} attempts. Last error: {op.LastError ?? "none recorded"}");
        log.LogWarning("Giving up on {Kind} {OperationId}: {Detail}", op.Kind, op.Id, error.Detail);
        if (kinds.Get(op.Kind).GiveUp is { } giveUp)
        {
            await giveUp(services, op, error, ct);
            return;
        }
        op.Fail(error, db.Clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Parents whose children all finished but whose roll-up was lost (a crash between the two commits).</summary>
    private async Task<int> RollUpOrphanParentsAsync(CancellationToken ct)
    {
        var parents = await db.Operations
            .Where(p => p.Status == OperationStatus.Running && p.Queue == null
                        && db.Operations.Any(c => c.ParentId == p.Id)
                        && !db.Operations.Any(c => c.ParentId == p.Id && c.Status == OperationStatus.Running))
            .OrderBy(p => p.Id).Select(p => p.Id).Take(100).ToListAsync(ct);
        foreach (var id in parents) await ParentOperations.RollUpAsync(db, id, ct);
        return parents.Count;
    }

    private bool IsStillCarried(string? jobId, IReadOnlySet<string> liveServers)
    {
        if (jobId is null) return false;
        using var connection = storage.GetConnection();
        StateData? state;
        try
        {
            state = connection.GetStateData(jobId);
        }
        catch (FormatException)
        {
            return false;                                                     // an id this storage never issued
        }
        if (state is null) return false;                                  // the job is gone (in-memory storage restarted)
        if (state.Name == ProcessingState.StateName)
            return state.Data.TryGetValue("ServerId", out var server) && liveServers.Contains(server);
        // Waiting for a worker, a retry delay or a parent; anything else (succeeded, failed, deleted) means no one carries it.
        return state.Name == EnqueuedState.StateName || state.Name == ScheduledState.StateName || state.Name == AwaitingState.StateName;
    }

    // Heartbeats are wall-clock facts written by Hangfire, so liveness is judged by the wall clock, not the domain clock.
    private HashSet<string> LiveServers() =>
        storage.GetMonitoringApi().Servers()
            .Where(s => s.Heartbeat is { } beat && DateTime.UtcNow - DateTime.SpecifyKind(beat, DateTimeKind.Utc) < options.Value.Jobs.DeadServerAfter)
            .Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
}
