using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Domain.Placement;
using IaasApi.Domain.ServerGroups;
using static IaasApi.Domain.Tests.Hosts;

namespace IaasApi.Domain.Tests;

public sealed class PlacementPipelineTests
{
    private static string[] Names(PlacementResult r) => r.Ranked.Select(x => x.Host.Name).ToArray();

    [Fact]
    public void Spread_PutsTheEmptiestHostFirst()
    {
        var hosts = new[] { Candidate(1, allocated: new Resources(8, 32768, 0, 0)), Candidate(2), Candidate(3, allocated: new Resources(4, 16384, 0, 0)) };
        Assert.Equal(["host-2", "host-3", "host-1"], Names(PlacementPipeline.Default.Rank(Request(), hosts)));
    }

    [Fact]
    public void Pack_PutsTheFullestHostThatStillFitsFirst()
    {
        var hosts = new[] { Candidate(1, allocated: new Resources(8, 32768, 0, 0)), Candidate(2), Candidate(3, allocated: new Resources(4, 16384, 0, 0)) };
        Assert.Equal(["host-1", "host-3", "host-2"], Names(PlacementPipeline.Default.Rank(Request(strategy: PlacementStrategy.Pack), hosts)));
    }

    [Fact]
    public void Rank_NormalisesEachWeigher_ToTheUnitInterval()
    {
        var hosts = new[] { Candidate(1), Candidate(2, allocated: new Resources(8, 32768, 0, 0)), Candidate(3, allocated: new Resources(16, 65536, 0, 0)) };
        var result = PlacementPipeline.Default.Rank(Request(diskGiB: 0), hosts, detailed: true);
        Assert.All(result.Ranked.SelectMany(r => r.Weights!), w => Assert.InRange(w.Normalized, 0.0, 1.0));
        var best = result.Ranked[0];
        Assert.Equal("host-1", best.Host.Name);
        Assert.Equal(best.Weights!.Sum(w => w.Contribution), best.Score, 9);   // the score is the sum of the contributions
        Assert.Equal(0.0, result.Ranked[^1].Weights!.Where(w => w.Weigher != WeigherNames.InstanceCount).Sum(w => w.Normalized), 9);
    }

    [Fact]
    public void Rank_BreaksTiesById_WhenWeightsAreEqual()
    {
        var hosts = new[] { Candidate(3), Candidate(1), Candidate(2) };
        var result = PlacementPipeline.Default.Rank(Request(), hosts);
        Assert.Equal(["host-1", "host-2", "host-3"], Names(result));
        Assert.All(result.Ranked, r => Assert.Equal(0.0, r.Score));   // equal raw values contribute nothing
    }

    [Fact]
    public void Rank_StopsAtZero_AndTracesEveryFilterUpToIt()
    {
        var hosts = new[] { Candidate(1, memoryMiB: 2048), Candidate(2, memoryMiB: 2048), Candidate(3, zone: ZoneB) };
        var result = PlacementPipeline.Default.Rank(Request() with { ZoneId = ZoneA }, hosts, detailed: true);

        Assert.False(result.Found);
        Assert.Equal(["zone", "host-state", "hypervisor", "vcpus", "memory"], result.Trace.Select(s => s.Filter));
        Assert.Equal((3, 2), (result.Trace[0].Before, result.Trace[0].After));
        Assert.Equal((2, 2), (result.Trace[1].Before, result.Trace[1].After));          // all enabled: host-state drops none
        var memory = result.Trace[^1];
        Assert.Equal((2, 0), (memory.Before, memory.After));
        Assert.Equal(["needs 4096 MiB, 2048 free", "needs 4096 MiB, 2048 free"], memory.Eliminated!.Select(e => e.Reason));
    }

    [Fact]
    public void Rank_KeepsOnlyCounts_UnlessDetailed()
    {
        var result = PlacementPipeline.Default.Rank(Request() with { ZoneId = ZoneA }, [Candidate(1, zone: ZoneB)]);
        Assert.Null(result.Trace[0].Eliminated);
    }

    [Fact]
    public void Rank_ReturnsOnlyTheTopK_InTheSameOrderAsAFullRanking()
    {
        var random = new Random(7);
        var hosts = Enumerable.Range(1, 500).Select(i => Candidate(i, allocated: new Resources(random.Next(0, 16), random.Next(0, 60000), 0, 0))).ToList();
        var all = PlacementPipeline.Default.Rank(Request(vcpus: 1, memoryMiB: 1024), hosts);
        var top = PlacementPipeline.Default.Rank(Request(vcpus: 1, memoryMiB: 1024), hosts, top: 10);
        Assert.Equal(10, top.Ranked.Count);
        Assert.Equal(all.Ranked.Take(10).Select(r => r.Host.Id), top.Ranked.Select(r => r.Host.Id));
        Assert.Equal(all.Candidates, top.Candidates);
    }

    [Fact]
    public void PartitionedRanking_EqualsTheSingleThreadedOne_ForLargeClouds()
    {
        var random = new Random(11);
        var hosts = Enumerable.Range(1, 6000).Select(i => Candidate(i, state: random.Next(40) == 0 ? Inventory.HostState.Disabled : Inventory.HostState.Enabled,
            traits: random.Next(2) == 0 ? ["ssd"] : [], allocated: new Resources(random.Next(0, 16), random.Next(0, 65536), random.Next(0, 900), 0))).ToArray();
        var single = new PlacementPipeline(PlacementPipeline.AllFilters, PlacementPipeline.AllWeighers) { Parallelism = 1 };
        var parallel = new PlacementPipeline(PlacementPipeline.AllFilters, PlacementPipeline.AllWeighers) { Parallelism = 4, ParallelThreshold = 1000 };
        foreach (var request in new[]
                 {
                     Request(vcpus: 1, memoryMiB: 2048), Request(vcpus: 4, memoryMiB: 32768, strategy: PlacementStrategy.Pack),
                     Request() with { RequiredTraits = ["ssd"] }, Request(vcpus: 64),
                 })
        {
            var a = single.Rank(request, hosts, 10);
            var b = parallel.Rank(request, hosts, 10);
            Assert.Equal(a.Ranked.Select(r => r.Host.Id), b.Ranked.Select(r => r.Host.Id));
            Assert.Equal(a.Ranked.Select(r => Math.Round(r.Score, 9)), b.Ranked.Select(r => Math.Round(r.Score, 9)));
            Assert.Equal(a.Trace.Select(t => (t.Filter, t.Before, t.After)), b.Trace.Select(t => (t.Filter, t.Before, t.After)));
            Assert.Equal(a.Candidates, b.Candidates);
        }
    }

    [Fact]
    public void Rank_SkipsExcludedHosts()
    {
        var hosts = new[] { Candidate(1), Candidate(2) };
        var request = Request() with { ExcludedHosts = new HashSet<Guid> { hosts[0].Id } };
        Assert.Equal("host-2", Assert.Single(PlacementPipeline.Default.Rank(request, hosts).Ranked).Host.Name);
    }

    [Fact]
    public void SoftAntiAffinity_OutweighsFreeCapacity_InTheSpreadProfile()
    {
        // host-1 is emptier, but already holds a member of the soft-anti-affinity group.
        var hosts = new[] { Candidate(1), Candidate(2, allocated: new Resources(8, 30000, 0, 0)) };
        var request = Request() with { Group = Group(ServerGroupPolicy.SoftAntiAffinity, null, (1, 1)) };
        Assert.Equal("host-2", PlacementPipeline.Default.Rank(request, hosts).Ranked[0].Host.Name);
    }

    [Fact]
    public void SoftAffinity_PrefersTheMembersHost_EvenWhenFuller()
    {
        var hosts = new[] { Candidate(1), Candidate(2, allocated: new Resources(8, 30000, 0, 0)) };
        var request = Request() with { Group = Group(ServerGroupPolicy.SoftAffinity, null, (2, 1)) };
        Assert.Equal("host-2", PlacementPipeline.Default.Rank(request, hosts).Ranked[0].Host.Name);
    }

    [Fact]
    public void WithFilterOrder_RunsTheNamedFiltersInThatOrder_AndRejectsUnknownNames()
    {
        var pipeline = PlacementPipeline.WithFilterOrder(["memory", "zone"]);
        Assert.Equal(["memory", "zone"], pipeline.Filters.Select(f => f.Name));
        var result = pipeline.Rank(Request() with { ZoneId = ZoneA }, [Candidate(1, memoryMiB: 1024)]);
        Assert.Equal("memory", Assert.Single(result.Trace).Filter);
        Assert.Throws<ArgumentException>(() => PlacementPipeline.WithFilterOrder(["memory", "colour"]));
    }

    [Fact]
    public void Batch_ConsumesCapacityBetweenPicks_ThroughWithClaim()
    {
        var host = Candidate(1, vcpus: 4, memoryMiB: 8192);
        var request = Request(vcpus: 2, memoryMiB: 4096, diskGiB: 0);
        var after = host.WithClaim(request.Demand).WithClaim(request.Demand);
        Assert.Equal(new Resources(4, 8192, 0, 0), after.Allocated);
        Assert.Equal(2, after.InstanceCount);
        Assert.False(PlacementPipeline.Default.Rank(request, [after]).Found);
    }

    [Fact]
    public void PlacementRequests_CombineFlavorAndImage_AndRefuseContradictions()
    {
        var now = DateTimeOffset.UnixEpoch;
        var flavor = new Flavor("f", new Resources(2, 4096, 20, 0), FlavorFamily.General, now);
        flavor.SetHints(new PlacementHints(null, ["avx2"], ["ssd"], []), inUse: false);
        var image = new Image("i", "linux", ImageFormat.Qcow2, 1, 0, now);
        image.SetPlacement("fake", new PlacementHints("Xeon", ["aes"], [], ["gpu"]));
        var plan = new SlaPlan("gold", now) { RequiredCapabilities = ["live-migration"], PlacementStrategy = PlacementStrategy.Pack };

        var request = PlacementRequests.For(flavor, image, plan, ZoneA, null, 0);

        Assert.Equal(["aes", "avx2"], request.RequiredCpuFeatures);
        Assert.Equal(Set("ssd"), request.RequiredTraits);
        Assert.Equal(Set("gpu"), request.ForbiddenTraits);
        Assert.Equal(("Xeon", "fake", PlacementStrategy.Pack), (request.RequiredCpuModel, request.RequiredHypervisor, request.Strategy));
        Assert.Equal(Set("live-migration"), request.RequiredCapabilities);

        image.SetPlacement(null, new PlacementHints(null, [], [], ["ssd"]));
        Assert.Throws<FieldValidationException>(() => PlacementRequests.For(flavor, image, plan, null, null, 0));
    }
}
