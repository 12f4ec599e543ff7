using IaasApi.Infrastructure.Instances;
using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Hypervisors;

namespace IaasApi.Infrastructure.Hosts;

/// <summary>
/// Fencing a host that was down and answers again: every VM it still runs that the control plane no longer places there
/// (its instance was evacuated, deleted, or is waiting to restart elsewhere) is destroyed — a VM must never run twice —
/// and only then does the host return to the state it had. A driver error (the host cut off again) is retried.
/// </summary>
public sealed class HostJobs(IaasDbContext db, HypervisorDrivers drivers, QueuePasses passes,
                             ILogger<HostJobs> log)
{
    public async Task FenceAsync(Guid operationId, CancellationToken ct)
    {
        var op = await db.Operations.SingleOrDefaultAsync(o => o.Id == operationId, ct);
        if (op is null || op.IsFinished || op.ResourceId is not { } hostId) return;
        op.StartAttempt();
        await db.SaveChangesAsync(ct);
        var host = await db.Hosts.AsNoTracking().SingleAsync(h => h.Id == hostId, ct);
        if (host.State != HostState.Down)
        {
            op.Succeed(db.Clock.GetUtcNow());
            op.Report($"Host '{host.Name}' is not down; nothing to fence.");
            await db.SaveChangesAsync(ct);
            return;
        }

        var driver = drivers.For(host.Hypervisor);
        var where = new HostRef(host.Id, host.Name, host.Hypervisor);
        var vms = await driver.ListAsync(where, ct);
        var ids = vms.Select(v => v.InstanceId).ToList();
        var placedHere = (await db.Instances.AsNoTracking()
                .Where(i => ids.Contains(i.Id) && i.HostId == hostId && i.Status != InstanceStatus.Deleted)
                .Select(i => i.Id).ToListAsync(ct)).ToHashSet();
        var stale = vms.Where(v => !placedHere.Contains(v.InstanceId)).ToList();
        foreach (var vm in stale) await driver.DestroyAsync(where, vm.InstanceId, ct);

        db.ChangeTracker.Clear();
        var now = db.Clock.GetUtcNow();
        var staleIds = stale.Select(v => v.InstanceId).ToList();
        foreach (var instance in await db.Instances.Where(i => staleIds.Contains(i.Id)).ToListAsync(ct))
            instance.Note("fenced", Actors.HostMonitor, operationId, now, $"Its stale copy on host '{host.Name}' (down, then heard from again) was destroyed.");
        var tracked = await db.Hosts.SingleAsync(h => h.Id == hostId, ct);
        tracked.Recover();
        op = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
        op.Report($"Host '{host.Name}' answered again after being down since {host.DownSince:u}: destroyed {stale.Count} stale VM cop{(stale.Count == 1 ? "y" : "ies")}"
                  + $"{(stale.Count > 0 ? $" ({string.Join(", ", staleIds.Take(20))})" : "")}; kept {placedHere.Count}; back to '{Domain.Common.EnumWords.ToWord(tracked.State)}'.");
        op.Succeed(now);
        await db.SaveChangesAsync(ct);
        log.LogWarning("Fenced host {Host}: {Report}", host.Name, op.StatusReason);
        await passes.RequestAsync(CancellationToken.None);
    }

    public async Task PowerOnAsync(Guid operationId, CancellationToken ct)
    {
        var (op, host) = await LoadAsync(operationId, ct);
        if (op is null || host is null) return;
        if (host.Power == HostPower.Off)
        {
            op.Cancel($"Host '{host.Name}' was powered off again before it booted.", db.Clock.GetUtcNow());
            await db.SaveChangesAsync(ct);
            return;
        }
        await drivers.For(host.Hypervisor).SetHostPowerAsync(new HostRef(host.Id, host.Name, host.Hypervisor), on: true, ct);
        var now = db.Clock.GetUtcNow();
        var tracked = await db.Hosts.SingleAsync(h => h.Id == host.Id, ct);
        tracked.PoweredOn(now);
        op.Report($"Host '{host.Name}' is on and answering.");
        op.Succeed(now);
        await db.SaveChangesAsync(ct);
        log.LogInformation("Host {Host} powered on", host.Name);
        await passes.RequestAsync(CancellationToken.None);
    }

    public async Task PowerOffAsync(Guid operationId, CancellationToken ct)
    {
        var (op, host) = await LoadAsync(operationId, ct);
        if (op is null || host is null) return;
        if (host.Power != HostPower.Off)
        {
            op.Cancel($"Host '{host.Name}' was woken again before it was powered off.", db.Clock.GetUtcNow());
            await db.SaveChangesAsync(ct);
            return;
        }
        await drivers.For(host.Hypervisor).SetHostPowerAsync(new HostRef(host.Id, host.Name, host.Hypervisor), on: false, ct);
        op.Report($"Host '{host.Name}' is powered off.");
        op.Succeed(db.Clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        await ParentOperations.RollUpAsync(db, op.ParentId, ct);
        log.LogInformation("Host {Host} powered off", host.Name);
    }

    private async Task<(Operation? Op, Host? Host)> LoadAsync(Guid operationId, CancellationToken ct)
    {
        var op = await db.Operations.SingleOrDefaultAsync(o => o.Id == operationId, ct);
        if (op is null || op.IsFinished || op.ResourceId is not { } hostId) return (null, null);
        op.StartAttempt();
        await db.SaveChangesAsync(ct);
        return (op, await db.Hosts.AsNoTracking().SingleAsync(h => h.Id == hostId, ct));
    }
}
