using System.Diagnostics;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Placement;
using IaasApi.Infrastructure.Persistence;
using IaasApi.Infrastructure.Placement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Api.Tests;

/// <summary>
/// 64 concurrent creators race for the last capacity, round after round, through the real scheduler on PostgreSQL;
/// after every round, every host's allocation equals the sum of its claimed instances and never exceeds what it may hand out.
/// </summary>
public sealed class PlacementRaceTests(ApiFactory api, ITestOutputHelper output)
{
    private const int Creators = 64;
    private static readonly int Rounds = int.TryParse(Environment.GetEnvironmentVariable("IAAS_RACE_ROUNDS"), out var r) ? r : 1000;

    [Fact]
    public async Task SixtyFourCreators_RacingForTheLastCapacity_NeverOverAllocate()
    {
        // 4 hosts with room for 2 instances each: every round, 64 requests from 8 tenants (so they really race for the
        // same host rows, not one after another on a tenant's row) compete for 8 slots, or fewer.
        var (cloud, tenants, flavor, image, plan) = await ArenaAsync(hosts: 4, hostMemoryMiB: 8192, flavorMemoryMiB: 4096);
        api.Jobs.DropNext(int.MaxValue);   // placement is under test here, not provisioning: nothing is enqueued
        var watch = Stopwatch.StartNew();
        long admitted = 0, refused = 0;
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                // Vary the starting point: some rounds begin with hosts partly taken behind the snapshot's back.
                var preTaken = round % 3;
                await PreTakeAsync(cloud, preTaken, flavor.Resources);
                var outcomes = await Task.WhenAll(Enumerable.Range(0, Creators).Select(c =>
                    Task.Run(() => TryAdmitAsync(tenants[c % tenants.Count], cloud, flavor, image, plan))));
                admitted += outcomes.Count(o => o);
                refused += outcomes.Count(o => !o);
                Assert.Equal(8 - preTaken, outcomes.Count(o => o));
                await AssertInvariantAsync(cloud, round, preTaken * flavor.Resources.MemoryMiB, preTaken);
                await ResetAsync(cloud, tenants);
            }
        }
        finally
        {
            api.Jobs.DropNext(0);
        }
        output.WriteLine($"{Rounds} rounds × {Creators} creators: {admitted} admitted, {refused} refused, {watch.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task MaxInstancesPerHost_HoldsUnderConcurrency_InTheDatabase()
    {
        var options = api.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<IaasApi.Infrastructure.IaasOptions>>().Value;
        var (cloud, tenants, flavor, image, plan) = await ArenaAsync(hosts: 2, hostMemoryMiB: 65536, flavorMemoryMiB: 1024);
        options.Placement.MaxInstancesPerHost = 3;
        api.Jobs.DropNext(int.MaxValue);
        try
        {
            for (var round = 0; round < 20; round++)
            {
                var outcomes = await Task.WhenAll(Enumerable.Range(0, 32).Select(c =>
                    Task.Run(() => TryAdmitAsync(tenants[c % tenants.Count], cloud, flavor, image, plan))));
                Assert.Equal(6, outcomes.Count(o => o));
                var counts = await api.WithDbAsync(db => db.Hosts.AsNoTracking().Where(h => cloud.HostIds.Contains(h.Id)).Select(h => h.InstanceCount).ToListAsync());
                Assert.All(counts, n => Assert.Equal(3, n));
                await ResetAsync(cloud, tenants);
            }
        }
        finally
        {
            options.Placement.MaxInstancesPerHost = 0;
            api.Jobs.DropNext(0);
        }
    }

    /// <summary>A zone of hosts, 8 tenants with unlimited quotas (so their requests race on host rows), and the catalog entities.</summary>
    private async Task<(Cloud Cloud, List<Guid> Tenants, Flavor Flavor, Image Image, SlaPlan Plan)> ArenaAsync(int hosts, int hostMemoryMiB, int flavorMemoryMiB)
    {
        var cloud = await api.SeedAsync(hosts: hosts, hostVcpus: 64, hostMemoryMiB: hostMemoryMiB, flavorVcpus: 1, flavorMemoryMiB: flavorMemoryMiB);
        var tenants = new List<Guid> { cloud.TenantId };
        for (var t = 1; t < 8; t++) tenants.Add((await api.NewTenantAsync(new { instances = -1, vcpus = -1, memoryMiB = -1 })).Id);
        var (flavor, image, plan) = await api.WithDbAsync(async db => (
            await db.Flavors.AsNoTracking().SingleAsync(f => f.Id == cloud.FlavorId),
            await db.Images.AsNoTracking().SingleAsync(i => i.Id == cloud.ImageId),
            await db.SlaPlans.AsNoTracking().SingleAsync(p => p.Id == cloud.PlanId)));
        return (cloud, tenants, flavor, image, plan);
    }

    private async Task<bool> TryAdmitAsync(Guid tenantId, Cloud cloud, Flavor flavor, Image image, SlaPlan plan)
    {
        using var scope = api.Services.CreateScope();
        var admissions = scope.ServiceProvider.GetRequiredService<InstanceAdmission>();
        try
        {
            await admissions.AdmitAsync(new AdmissionRequest(tenantId, "race", flavor, image, plan, cloud.ZoneId, null, 1, "key:race"),
                CancellationToken.None);
            return true;
        }
        catch (NoValidHostException)
        {
            return false;
        }
    }

    /// <summary>Takes capacity directly in the database (another replica did it): the snapshot does not know.</summary>
    private Task PreTakeAsync(Cloud cloud, int slots, Resources demand) => api.WithScopeAsync(async sp =>
    {
        var claims = sp.GetRequiredService<CapacityClaims>();
        var db = sp.GetRequiredService<IaasDbContext>();
        for (var i = 0; i < slots; i++)
        {
            var host = cloud.HostIds[i % cloud.HostIds.Count];
            var config = await db.Hosts.Where(h => h.Id == host).Select(h => h.ConfigVersion).SingleAsync();
            Assert.True(await claims.TryClaimHostAsync(host, demand, config, 0, ClaimKind.Persistent, CancellationToken.None));
        }
    });

    /// <summary>Every resource of every host equals what its claimed instances (plus the pre-taken slots) add up to, within what it may hand out.</summary>
    private Task AssertInvariantAsync(Cloud cloud, int round, int preTakenMemory, int preTakenSlots) => api.WithScopeAsync(async sp =>
    {
        var db = sp.GetRequiredService<IaasDbContext>();
        var hosts = await db.Hosts.AsNoTracking().Where(h => cloud.HostIds.Contains(h.Id)).ToListAsync();
        var claimed = await db.Instances.AsNoTracking().Where(i => i.HostId != null && cloud.HostIds.Contains(i.HostId.Value))
            .GroupBy(i => i.HostId!.Value)
            .Select(g => new { Host = g.Key, Vcpus = g.Sum(i => i.Resources.Vcpus), Memory = g.Sum(i => i.Resources.MemoryMiB), Disk = g.Sum(i => i.Resources.DiskGiB), Count = g.Count() })
            .ToDictionaryAsync(g => g.Host);
        var slotVcpus = 1;
        var slotDisk = (await db.Flavors.AsNoTracking().SingleAsync(f => f.Id == cloud.FlavorId)).Resources.DiskGiB;
        foreach (var h in hosts)
        {
            var mine = claimed.GetValueOrDefault(h.Id);
            var taken = cloud.HostIds.ToList().IndexOf(h.Id) < preTakenSlots ? 1 : 0;
            var because = $"round {round}, host {h.Name}";
            Assert.True(h.Allocated.Vcpus == (mine?.Vcpus ?? 0) + taken * slotVcpus, $"{because}: vCPUs drifted");
            Assert.True(h.Allocated.MemoryMiB == (mine?.Memory ?? 0) + taken * (preTakenMemory / Math.Max(1, preTakenSlots)), $"{because}: memory drifted");
            Assert.True(h.Allocated.DiskGiB == (mine?.Disk ?? 0) + taken * slotDisk, $"{because}: disk drifted");
            Assert.True(h.InstanceCount == (mine?.Count ?? 0) + taken, $"{because}: instance count drifted");
            Assert.True(h.Allocated.MemoryMiB <= IaasApi.Domain.Inventory.Host.Usable(h.Capacity.MemoryMiB, h.Reserved.MemoryMiB, h.AllocationRatios.Memory),
                $"{because}: over-allocated");
        }
    });

    private Task ResetAsync(Cloud cloud, IReadOnlyList<Guid> tenants) => api.WithScopeAsync(async sp =>
    {
        var db = sp.GetRequiredService<IaasDbContext>();
        var instances = db.Instances.Where(i => tenants.Contains(i.TenantId));
        await db.InstanceActions.Where(a => instances.Any(i => i.Id == a.InstanceId)).ExecuteDeleteAsync();
        await db.Operations.Where(o => o.TenantId != null && tenants.Contains(o.TenantId.Value)).ExecuteDeleteAsync();
        await instances.ExecuteDeleteAsync();
        await db.Hosts.Where(h => cloud.HostIds.Contains(h.Id)).ExecuteUpdateAsync(s => s
            .SetProperty(h => h.Allocated.Vcpus, 0).SetProperty(h => h.Allocated.MemoryMiB, 0).SetProperty(h => h.Allocated.DiskGiB, 0)
            .SetProperty(h => h.Allocated.NetworkMbps, 0).SetProperty(h => h.InstanceCount, 0)
            .SetProperty(h => h.Version, h => h.Version + 1).SetProperty(h => h.UpdatedAt, db.Clock.GetUtcNow()));
        await db.Tenants.Where(t => tenants.Contains(t.Id)).ExecuteUpdateAsync(s => s
            .SetProperty(t => t.Usage.Instances, 0).SetProperty(t => t.Usage.Vcpus, 0).SetProperty(t => t.Usage.MemoryMiB, 0));
    });
}
