using IaasApi.Infrastructure.Operations;
using System.Diagnostics;
using Hangfire;
using IaasApi.Domain.Hypervisors;
using IaasApi.Infrastructure.Hypervisors;

namespace IaasApi.Infrastructure.Agents;

/// <summary>The queues this process's Hangfire server serves (fixed at its start); empty in a process that serves none.</summary>
public sealed class ServedQueues(IReadOnlyList<string> queues)
{
    public static ServedQueues None { get; } = new([]);

    public IReadOnlyList<string> All => queues;

    public bool Contains(string queue) => queues.Contains(queue);

    /// <summary>Whether this process is <paramref name="host"/>'s agent: its driver runs on the machine (qemu), is here, and the host's queue is served here.</summary>
    public bool IsAgentOf(HostRef host, HypervisorDrivers drivers) =>
        HypervisorDrivers.RunsOnHost(host.Hypervisor) && drivers.Kinds.Contains(host.Hypervisor) && Contains(JobDispatcher.HostQueue(host.Name));

    /// <summary>The hosts this process is the agent of: none (and no query) in a process that serves no host's queue.</summary>
    public async Task<List<HostRef>> AgentHostsAsync(IaasDbContext db, HypervisorDrivers drivers, CancellationToken ct)
    {
        var names = queues.Where(q => q.StartsWith(JobDispatcher.HostQueuePrefix, StringComparison.Ordinal))
            .Select(q => q[JobDispatcher.HostQueuePrefix.Length..]).ToList();
        if (names.Count == 0) return [];
        var hosts = await db.Hosts.AsNoTracking().Where(h => names.Contains(h.Name)).Select(h => new HostRef(h.Id, h.Name, h.Hypervisor)).ToListAsync(ct);
        return hosts.Where(h => IsAgentOf(h, drivers)).ToList();
    }
}

/// <summary>
/// Driver calls on a given host from wherever the asking job runs. A host whose driver runs anywhere (fake), or whose
/// agent queue this process serves, is called directly; any other host's agent gets the call as an
/// <see cref="AgentTask"/> on its queue, and the caller waits for the answer in the task's row (up to
/// <c>Iaas:Migration:AgentTaskTimeoutSeconds</c>: an agent that does not answer is a transient failure). Calls tied to a
/// migration are idempotent across re-runs of its job: a call already answered is not asked again.
/// </summary>
public sealed class HostCalls(IaasDbContext db, HypervisorDrivers drivers, IBackgroundJobClient jobs, ServedQueues served,
                              IOptions<IaasOptions> options, ILogger<HostCalls> log)
{
    public async Task<IncomingEndpoint> PrepareIncomingAsync(IncomingRequest request, Guid migrationId, CancellationToken ct) =>
        HostCall.Result<IncomingEndpoint>(await CallAsync(new HostCall(HostCall.PrepareIncoming, request.Target, request.Spec.InstanceId, Incoming: request),
                                                          migrationId, wait: true, ct));

    /// <summary>
    /// Asks a remote target's agent to prepare now, without waiting (the migration's job, when it gets there, finds the
    /// answer); a target this process drives is left to the job. Never fails the caller.
    /// </summary>
    public async Task PrepareEarlyAsync(IncomingRequest request, Guid migrationId)
    {
        if (IsLocal(request.Target)) return;
        try
        {
            await CallAsync(new HostCall(HostCall.PrepareIncoming, request.Target, request.Spec.InstanceId, Incoming: request), migrationId, wait: false,
                CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "Could not ask host {Host} to prepare for VM {InstanceId} early; the migration asks again", request.Target.Name, request.Spec.InstanceId);
        }
    }

    public Task RegisterCopyAsync(HostRef target, InstanceSpec spec, Guid migrationId, CancellationToken ct) =>
        CallAsync(new HostCall(HostCall.RegisterCopy, target, spec.InstanceId, Spec: spec), migrationId, wait: true, ct);

    public Task ActivateIncomingAsync(HostRef target, Guid instanceId, bool run, Guid migrationId, CancellationToken ct) =>
        CallAsync(new HostCall(HostCall.ActivateIncoming, target, instanceId, Run: run), migrationId, wait: true, ct);

    /// <summary>Starts the VM unless it runs; whether it had to be started.</summary>
    public async Task<bool> EnsureRunningAsync(HostRef host, Guid instanceId, Guid migrationId, CancellationToken ct) =>
        HostCall.Result<bool>(await CallAsync(new HostCall(HostCall.EnsureRunning, host, instanceId), migrationId, wait: true, ct));

    /// <summary>
    /// A clean-up (discard, cancel, release, abort): runs now if it can, else when the host's agent gets to it; waited
    /// for only when <paramref name="wait"/>; a failure is logged, not thrown.
    /// </summary>
    public async Task CleanUpAsync(string kind, HostRef host, Guid instanceId, Guid migrationId, bool wait, CancellationToken ct)
    {
        try
        {
            await CallAsync(new HostCall(kind, host, instanceId), migrationId, wait, ct);
        }
        catch (HypervisorException ex)
        {
            log.LogWarning("{Kind} of VM {InstanceId} on host {Host} failed: {Message}", kind, instanceId, host.Name, ex.Message);
        }
    }

    /// <summary>Whether this process drives <paramref name="host"/> itself (no agent task needed).</summary>
    public bool IsLocal(HostRef host) =>
        !HypervisorDrivers.RunsOnHost(host.Hypervisor) || served.Contains(JobDispatcher.HostQueue(host.Name));

    private async Task<string?> CallAsync(HostCall call, Guid? migrationId, bool wait, CancellationToken ct)
    {
        if (IsLocal(call.Host)) return await call.ExecuteAsync(drivers, ct);

        var task = migrationId is { } m
            ? await db.AgentTasks.AsNoTracking().Where(t => t.MigrationId == m && t.HostId == call.Host.Id && t.Kind == call.Kind)
                .OrderByDescending(t => t.Id).FirstOrDefaultAsync(ct)
            : null;
        if (task is { Status: AgentTaskStatus.Succeeded }) return task.Result;
        if (task is not { Status: AgentTaskStatus.Queued or AgentTaskStatus.Running })
        {
            var now = db.Clock.GetUtcNow();
            task = new AgentTask
            {
                Id = Ids.New(), HostId = call.Host.Id, MigrationId = migrationId, Kind = call.Kind, Request = call.ToJson(),
                CreatedAt = now, UpdatedAt = now,
            };
            db.AgentTasks.Add(task);
            await db.SaveChangesAsync(ct);
            db.Entry(task).State = EntityState.Detached;
            var id = task.Id;
            jobs.Enqueue<IAgentTaskJobs>(JobDispatcher.HostQueue(call.Host.Name), j => j.RunAsync(id, CancellationToken.None));
        }
        return wait ? await WaitAsync(task.Id, call, ct) : null;
    }

    private async Task<string?> WaitAsync(Guid taskId, HostCall call, CancellationToken ct)
    {
        var timeout = TimeSpan.FromSeconds(Math.Max(1, options.Value.Migration.AgentTaskTimeoutSeconds));
        var started = Stopwatch.GetTimestamp();
        var pause = 2;
        while (true)
        {
            var row = await db.AgentTasks.AsNoTracking().Where(t => t.Id == taskId)
                .Select(t => new { t.Status, t.Result, t.Error, t.Transient }).SingleAsync(ct);
            switch (row.Status)
            {
                case AgentTaskStatus.Succeeded:
                    return row.Result;
                case AgentTaskStatus.Failed:
                    throw new HypervisorException(row.Error ?? $"Host '{call.Host.Name}' refused '{call.Kind}'.", row.Transient);
            }
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                // What decides the instance's state must not happen after nobody waits for it any more.
                if (call.DecidesState)
                    await db.AgentTasks.Where(t => t.Id == taskId && (t.Status == AgentTaskStatus.Queued || t.Status == AgentTaskStatus.Running))
                        .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, AgentTaskStatus.Abandoned).SetProperty(t => t.UpdatedAt, db.Clock.GetUtcNow()), ct);
                throw new HypervisorException(
                    $"Host '{call.Host.Name}''s agent did not answer '{call.Kind}' within {timeout.TotalSeconds:0} s (is its Workers process running?).",
                    isTransient: true);
            }
            await Task.Delay(pause, ct);
            pause = Math.Min(10, pause * 2);                                   // a migration waits on this: a cheap look every 10 ms
        }
    }
}
