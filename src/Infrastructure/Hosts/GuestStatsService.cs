using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Infrastructure.Agents;
using IaasApi.Infrastructure.Hypervisors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IaasApi.Infrastructure.Hosts;

/// <summary>
/// A host agent measures how its running guests use their memory every <c>Iaas:Health:GuestStatsSeconds</c> (the
/// driver's <see cref="IGuestStatsDriver.GetGuestMemoryAsync"/>: QEMU's non-zero memory and sampled dirty rate) and
/// writes it on each instance, where the control plane's migration model reads it (a preview, a drain's estimate):
/// the api process cannot look into a guest that lives in its host's agent. Written without a version bump (not a
/// change a client conditions on), at most four guests measured at once.
/// </summary>
public sealed class GuestStatsService(IServiceScopeFactory scopes, ServedQueues served, IOptions<IaasOptions> options,
                                      ILogger<GuestStatsService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.Health.GuestStatsSeconds)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await MeasureAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning(ex, "Measuring the guests' memory failed; it runs again at the next interval");
            }
        }
    }

    private async Task MeasureAsync(CancellationToken ct)
    {
        List<(HostRef Host, Guid Instance)> guests;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<IaasDbContext>();
            var drivers = scope.ServiceProvider.GetRequiredService<HypervisorDrivers>();
            var hosts = (await served.AgentHostsAsync(db, drivers, ct)).ToDictionary(h => h.Id);
            if (hosts.Count == 0) return;                                        // no host's agent here
            var ids = hosts.Keys.ToList();
            guests = (await db.Instances.AsNoTracking().Where(i => i.HostId != null && ids.Contains(i.HostId.Value) && i.Status == InstanceStatus.Running)
                    .Select(i => new { i.Id, HostId = i.HostId!.Value }).ToListAsync(ct))
                .Select(i => (hosts[i.HostId], i.Id)).ToList();
        }
        await Parallel.ForEachAsync(guests, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (guest, token) =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<IaasDbContext>();
            try
            {
                var memory = await scope.ServiceProvider.GetRequiredService<HypervisorDrivers>().For<IGuestStatsDriver>(guest.Host.Hypervisor)
                    .GetGuestMemoryAsync(guest.Host, guest.Instance, token);
                var now = db.Clock.GetUtcNow();
                await db.Instances.Where(i => i.Id == guest.Instance)
                    .ExecuteUpdateAsync(s => s.SetProperty(i => i.GuestTouchedMiB, memory.TouchedMiB)
                                              .SetProperty(i => i.GuestWorkingSetMiB, memory.WorkingSetMiB)
                                              .SetProperty(i => i.GuestDirtyRateMiBps, memory.DirtyRateMiBps)
                                              .SetProperty(i => i.GuestMeasuredAt, now), token);
            }
            catch (HypervisorException ex)
            {
                log.LogDebug("Could not measure VM {InstanceId}'s memory: {Message}", guest.Instance, ex.Message);   // stopped meanwhile, or migrating
            }
        });
    }
}
