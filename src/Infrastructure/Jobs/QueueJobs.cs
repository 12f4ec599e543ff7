using Hangfire;
using IaasApi.Infrastructure.Scheduling;

namespace IaasApi.Infrastructure.Jobs;

/// <summary>A pass of the best-effort queue, requested when capacity frees (the tick also runs one).</summary>
public interface IQueueJobs
{
    [AutomaticRetry(Attempts = 0, LogEvents = false)]
    Task RunPassAsync(CancellationToken ct);
}

public sealed class QueueJobs(BestEffortQueue queue) : IQueueJobs
{
    public Task RunPassAsync(CancellationToken ct) => queue.RunAsync(ct);
}
