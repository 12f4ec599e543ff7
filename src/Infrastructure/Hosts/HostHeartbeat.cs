using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Hypervisors;
using IaasApi.Infrastructure.Hypervisors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IaasApi.Infrastructure.Hosts;

/// <summary>
/// A worker process's report that the hosts it serves are alive: every host whose work lands on one of its queues
/// (the <c>control</c> queue serves the hosts whose driver runs anywhere, <c>h-&lt;name&gt;</c> its own host) and whose
/// driver answers a ping gets <c>lastHeartbeatAt = now</c>. A host whose agent is gone, or cut off, stops beating;
/// the <see cref="HostMonitor"/> notices. Where the driver sees real hardware (qemu), the beat also reports it
/// (<c>reported</c> on the host: CPUs, memory, disk), written only when it changed.
/// </summary>
public sealed class HostHeartbeat(IaasDbContext db, HypervisorDrivers drivers, ILogger<HostHeartbeat> log)
{
    public async Task<int> BeatAsync(IReadOnlyCollection<string> queues, CancellationToken ct)
    {
        var hosts = await db.Hosts.AsNoTracking().Select(h => new { h.Id, h.Name, h.Hypervisor }).ToListAsync(ct);
        var alive = new List<Guid>();
        var inventories = new Dictionary<Guid, HostInventory>();
        foreach (var h in hosts.Where(h => queues.Contains(JobDispatcher.QueueFor(h.Hypervisor, h.Name)) && drivers.Kinds.Contains(h.Hypervisor)))
        {
            try
            {
                var driver = drivers.For(h.Hypervisor);
                var where = new HostRef(h.Id, h.Name, h.Hypervisor);
                if (!await driver.PingAsync(where, ct)) continue;
                alive.Add(h.Id);
                if (await driver.GetInventoryAsync(where, ct) is { } inventory) inventories[h.Id] = inventory;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogDebug(ex, "Host {Host} does not answer its ping", h.Name);
            }
        }
        var now = db.Clock.GetUtcNow();
        // Not a change placement cares about: no version or updatedAt bump, so the placement snapshot does not re-read hosts.
        foreach (var chunk in alive.Chunk(1000))
            await db.Hosts.Where(h => chunk.Contains(h.Id)).ExecuteUpdateAsync(s => s.SetProperty(h => h.LastHeartbeatAt, now), ct);
        foreach (var (id, inventory) in inventories)
            await db.Hosts.Where(h => h.Id == id && (h.ReportedVcpus != inventory.Vcpus || h.ReportedMemoryMiB != inventory.MemoryMiB
                                                     || h.ReportedDiskGiB != inventory.DiskGiB))
                .ExecuteUpdateAsync(s => s.SetProperty(h => h.ReportedVcpus, inventory.Vcpus).SetProperty(h => h.ReportedMemoryMiB, inventory.MemoryMiB)
                                          .SetProperty(h => h.ReportedDiskGiB, inventory.DiskGiB), ct);
        return alive.Count;
    }
}

/// <summary>
/// Beats every <c>Iaas:Health:HeartbeatSeconds</c> (by the control plane's <see cref="TimeProvider"/>) for the hosts
/// this process's Hangfire server serves; runs in every process that serves queues.
/// </summary>
public sealed class HeartbeatService(IServiceScopeFactory scopes, Agents.ServedQueues served,
                                     TimeProvider clock, IOptions<IaasOptions> options, ILogger<HeartbeatService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.Health.HeartbeatSeconds), clock);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<HostHeartbeat>().BeatAsync(served.All, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The database may be briefly away (or not migrated yet): the next beat tries again.
                log.LogWarning(ex, "Heartbeat failed");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
