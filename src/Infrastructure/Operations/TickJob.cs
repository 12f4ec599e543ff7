using Hangfire;

namespace IaasApi.Infrastructure.Operations;

/// <summary>
/// The one recurring job: runs whatever is due as of the control plane's clock. Hangfire schedules by the wall
/// clock, so timed domain work is decided here, from <see cref="TimeProvider"/>, and tests advance a fake clock
/// and run the tick.
/// </summary>
public interface ITickJob
{
    [DisableConcurrentExecution(timeoutInSeconds: 120)]
    [AutomaticRetry(Attempts = 0, LogEvents = false)]
    Task RunAsync(CancellationToken ct);
}

/// <summary>Timed work a feature gives the tick.</summary>
public interface ITickStep
{
    /// <summary>
    /// Lower runs first. The order the features keep: operations reconciled (0); silent hosts down and evacuated (100)
    /// before anything is placed; reservations' notices, starts and ends (200: a start preempts, an end frees capacity);
    /// the best-effort queue (300), which sees the result; retention (900).
    /// </summary>
    int Order { get; }

    Task RunAsync(CancellationToken ct);
}

public sealed class TickJob(IEnumerable<ITickStep> steps) : ITickJob
{
    public const string RecurringJobId = "tick";

    public async Task RunAsync(CancellationToken ct)
    {
        foreach (var step in steps.OrderBy(s => s.Order)) await step.RunAsync(ct);
    }
}
