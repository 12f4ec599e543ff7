using IaasApi.Infrastructure.Instances;
using Hangfire;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Hypervisors;

namespace IaasApi.Infrastructure.Operations;

/// <summary>
/// Enqueues the job that carries an operation, on the queue of the host it acts on, after the operation's
/// transaction committed. If the enqueue itself fails, the operation stays <c>running</c> without a job and the
/// reconciler re-drives it: accepted work is never lost.
/// </summary>
public sealed class JobDispatcher(IBackgroundJobClient jobs, IaasDbContext db, ILogger<JobDispatcher> log)
{
    public const string ControlQueue = "control";

    /// <summary>Work for a host whose driver runs anywhere goes to <c>control</c>; a qemu host's to its agent's queue.</summary>
    public static string QueueFor(string hypervisor, string hostName) =>
        HypervisorDrivers.RunsOnHost(hypervisor) ? HostQueue(hostName) : ControlQueue;

    /// <summary>The queue for work on an instance on <paramref name="hostId"/> (<c>control</c> when it is on none).</summary>
    public static async Task<string> QueueForHostAsync(IaasDbContext db, Guid? hostId, CancellationToken ct) =>
        hostId is not null && await HostRefs.FindAsync(db, hostId, ct) is { } host ? QueueFor(host.Hypervisor, host.Name) : ControlQueue;

    /// <summary>
    /// The queue for work on an instance's VM: its host's, else the host where it was left (a VM still being saved
    /// there) — unless that host is down: nothing there can be reached, and its agent may never come back to serve it.
    /// </summary>
    public static async Task<string> QueueForVmAsync(IaasDbContext db, Domain.Instances.Instance instance, CancellationToken ct) =>
        await HostRefs.LeftOnDownHostAsync(db, instance, ct) ? ControlQueue : await QueueForHostAsync(db, instance.VmHostId, ct);

    public const string HostQueuePrefix = "h-";

    public static string HostQueue(string hostName) => HostQueuePrefix + hostName;

    public async Task DispatchAsync(Operation op, CancellationToken ct)
    {
        var queue = op.Queue ?? ControlQueue;
        string jobId;
        try
        {
            jobId = Enqueue(op.Kind, op.Id, queue);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "Enqueue of {Kind} {OperationId} failed; the reconciler will re-drive it", op.Kind, op.Id);
            return;
        }
        await db.Operations.Where(o => o.Id == op.Id).ExecuteUpdateAsync(s => s.SetProperty(o => o.JobId, jobId), ct);
    }

    /// <summary>One job per operation, on its queue; the kind picks the feature's handler where it runs.</summary>
    internal string Enqueue(string kind, Guid operationId, string queue) =>
        jobs.Enqueue<Operations.IOperationJobs>(queue, j => j.RunAsync(operationId, kind, CancellationToken.None));
}
