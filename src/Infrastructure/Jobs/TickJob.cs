using Hangfire;
using IaasApi.Infrastructure.Persistence;
using IaasApi.Infrastructure.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace IaasApi.Infrastructure.Jobs;

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

public sealed class TickJob(IaasDbContext db, OperationReconciler reconciler, Health.HostMonitor hosts, ReservationClock reservations,
                            BestEffortQueue queue, ILogger<TickJob> log) : ITickJob
{
    public const string RecurringJobId = "tick";
    private static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);
    /// <summary>Agent tasks are kept a week (what each migration asked of the hosts' agents, for whoever investigates one).</summary>
    private static readonly TimeSpan AgentTaskRetention = TimeSpan.FromDays(7);

    public async Task RunAsync(CancellationToken ct)
    {
        var report = await reconciler.RunAsync(ct);
        if (report.Redriven + report.GivenUp + report.RolledUp > 0)
            log.LogInformation("Tick: {Report}", report);

        // Silent hosts go down and are evacuated before anything is placed: their instances queue to restart elsewhere.
        var health = await hosts.RunAsync(ct);
        if (health.Any) log.LogInformation("Tick: {Report}", health);

        // Reservations first (a start preempts, an end frees capacity), then the queue sees the result.
        var leases = await reservations.RunAsync(ct);
        if (leases.Noticed + leases.Started + leases.Ended > 0) log.LogInformation("Tick: {Report}", leases);
        await queue.RunAsync(ct);

        var expired = db.Clock.GetUtcNow() - IdempotencyWindow;
        await db.IdempotencyRecords.Where(r => r.CreatedAt < expired).ExecuteDeleteAsync(ct);
        var answered = db.Clock.GetUtcNow() - AgentTaskRetention;
        await db.AgentTasks.Where(t => t.CreatedAt < answered).ExecuteDeleteAsync(ct);
    }
}
