using Hangfire;
using IaasApi.Infrastructure.Operations;

namespace IaasApi.Infrastructure.Instances;

/// <summary>A pass of the best-effort queue, requested when capacity frees (the tick also runs one).</summary>
public interface IQueueJobs
{
    [AutomaticRetry(Attempts = 0, LogEvents = false)]
    Task RunPassAsync(CancellationToken ct);
}

/// <summary>
/// Requests arriving while a pass runs in this process are folded into one more pass after it, so a burst of deletes
/// costs two passes, not one per delete, and no freed capacity is missed (the extra pass starts after the last one).
/// </summary>
public sealed class QueueJobs(BestEffortQueue queue) : IQueueJobs
{
    private static readonly SemaphoreSlim Running = new(1, 1);
    private static int _again;

    public async Task RunPassAsync(CancellationToken ct)
    {
        Interlocked.Exchange(ref _again, 1);
        while (Volatile.Read(ref _again) == 1)
        {
            if (!await Running.WaitAsync(0, ct)) return;      // the running pass goes round again (or we do, below)
            try
            {
                while (Interlocked.Exchange(ref _again, 0) == 1) await queue.RunAsync(ct);
            }
            finally
            {
                Running.Release();
            }
            // A request that arrived between the last round and the release found the lock taken: serve it now.
        }
    }
}

/// <summary>
/// Capacity just freed (a delete, a host, a reservation's end): a pass of the best-effort queue now rather than at the
/// next tick, if anything waits. Never fails the caller: the tick runs the queue anyway.
/// </summary>
public sealed class QueuePasses(IBackgroundJobClient jobs, IaasDbContext db, ILogger<QueuePasses> log)
{
    public async Task RequestAsync(CancellationToken ct)
    {
        try
        {
            if (await BestEffortQueue.Queued(db).AnyAsync(ct))
                jobs.Enqueue<IQueueJobs>(JobDispatcher.ControlQueue, j => j.RunPassAsync(CancellationToken.None));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "Could not request a pass of the best-effort queue; the tick runs it");
        }
    }
}
