using Hangfire;
using IaasApi.Domain.Hypervisors;
using IaasApi.Infrastructure.Hypervisors;

namespace IaasApi.Infrastructure.Agents;

/// <summary>The job that runs an <see cref="AgentTask"/> in the agent of the task's host (enqueued on its queue).</summary>
public interface IAgentTaskJobs
{
    /// <summary>Outcomes go into the task's row, where the asker waits; nothing here is retried by Hangfire.</summary>
    [AutomaticRetry(Attempts = 0, LogEvents = false)]
    Task RunAsync(Guid taskId, CancellationToken ct);
}

public sealed class AgentTaskJobs(IaasDbContext db, HypervisorDrivers drivers, ILogger<AgentTaskJobs> log) : IAgentTaskJobs
{
    public async Task RunAsync(Guid taskId, CancellationToken ct)
    {
        // Claim it: only a queued task runs, and only once (a duplicate job, or one the asker abandoned, does nothing).
        var now = db.Clock.GetUtcNow();
        if (await db.AgentTasks.Where(t => t.Id == taskId && t.Status == AgentTaskStatus.Queued)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, AgentTaskStatus.Running).SetProperty(t => t.UpdatedAt, now), ct) == 0) return;
        var task = await db.AgentTasks.AsNoTracking().SingleAsync(t => t.Id == taskId, ct);
        var call = HostCall.FromJson(task.Request);
        if (call.DecidesState && task.MigrationId is { } migrationId
            && !await db.Migrations.AsNoTracking().AnyAsync(m => m.Id == migrationId && (m.Status == Domain.Migrations.MigrationStatus.Queued
                                                                                        || m.Status == Domain.Migrations.MigrationStatus.Running), ct))
        {
            await FinishAsync(taskId, AgentTaskStatus.Failed, null, "The migration already ended.", transient: false, ct);
            return;
        }
        try
        {
            var result = await call.ExecuteAsync(drivers, ct);
            if (!await FinishAsync(taskId, AgentTaskStatus.Succeeded, result, null, transient: false, ct) && call.Kind == HostCall.PrepareIncoming)
            {
                // Prepared after the asker gave up: nobody will send to it.
                log.LogInformation("Discarding VM {InstanceId} prepared on {Host} after its migration stopped waiting", call.InstanceId, call.Host.Name);
                await drivers.For<IMigrationEndpointDriver>(call.Host.Hypervisor).DiscardIncomingAsync(call.Host, call.InstanceId, ct);
            }
        }
        catch (HypervisorException ex)
        {
            log.LogWarning("{Kind} of VM {InstanceId} on host {Host} failed: {Message}", call.Kind, call.InstanceId, call.Host.Name, ex.Message);
            await FinishAsync(taskId, AgentTaskStatus.Failed, null, ex.Message, ex.IsTransient, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogError(ex, "{Kind} of VM {InstanceId} on host {Host} failed unexpectedly", call.Kind, call.InstanceId, call.Host.Name);
            await FinishAsync(taskId, AgentTaskStatus.Failed, null, $"The host's agent failed: {ex.Message}", transient: true, ct);
        }
    }

    /// <summary>Records the outcome of a running task; false when the asker abandoned it meanwhile.</summary>
    private async Task<bool> FinishAsync(Guid taskId, string status, string? result, string? error, bool transient, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        error = Domain.Common.Text.Cap(error);
        return await db.AgentTasks.Where(t => t.Id == taskId && t.Status == AgentTaskStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, status).SetProperty(t => t.Result, result).SetProperty(t => t.Error, error)
                                      .SetProperty(t => t.Transient, transient).SetProperty(t => t.UpdatedAt, now), CancellationToken.None) > 0;
    }
}
