using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Placement;

namespace IaasApi.Domain.Tests;

public sealed class PlacementPipelineTests
{
    private static readonly Resources Small = new(2, 4096, 40, 100);

    [Fact]
    public void Rank_OrdersByFreeMemoryDescending_WhenStrategyIsSpread()
    {
        var hosts = new[]
        {
            Hosts.Candidate(1, allocated: new Resources(0, 32768, 0, 0)),
            Hosts.Candidate(2, allocated: new Resources(0, 8192, 0, 0)),
            Hosts.Candidate(3, allocated: new Resources(0, 16384, 0, 0)),
        };
        var result = PlacementPipeline.Default.Rank(new PlacementRequest(Small, PlacementStrategy.Spread), hosts);
        Assert.Equal(["host-2", "host-3", "host-1"], result.Ranked.Select(r => r.Host.Name));
    }

    [Fact]
    public void Rank_OrdersByFreeMemoryAscending_WhenStrategyIsPack()
    {
        var hosts = new[]
        {
            Hosts.Candidate(1, allocated: new Resources(0, 32768, 0, 0)),
            Hosts.Candidate(2, allocated: new Resources(0, 8192, 0, 0)),
            Hosts.Candidate(3, allocated: new Resources(0, 16384, 0, 0)),
        };
        var result = PlacementPipeline.Default.Rank(new PlacementRequest(Small, PlacementStrategy.Pack), hosts);
        Assert.Equal(["host-1", "host-3", "host-2"], result.Ranked.Select(r => r.Host.Name));
    }

    [Fact]
    public void Rank_NormalisesWeights_ToTheUnitInterval()
    {
        var hosts = new[] { Hosts.Candidate(1), Hosts.Candidate(2, allocated: new Resources(0, 30000, 0, 0)), Hosts.Candidate(3, allocated: new Resources(0, 60000, 0, 0)) };
        var result = PlacementPipeline.Default.Rank(new PlacementRequest(Small, PlacementStrategy.Spread), hosts);
        Assert.Equal(1.0, result.Ranked[0].Score, 9);
        Assert.Equal(0.0, result.Ranked[^1].Score, 9);
        Assert.All(result.Ranked, r => Assert.InRange(r.Score, 0.0, 1.0));
    }

    [Fact]
    public void Rank_BreaksTiesById_WhenWeightsAreEqual()
    {
        var hosts = new[] { Hosts.Candidate(3), Hosts.Candidate(1), Hosts.Candidate(2) };
        var result = PlacementPipeline.Default.Rank(new PlacementRequest(Small, PlacementStrategy.Spread), hosts);
        Assert.Equal(["host-1", "host-2", "host-3"], result.Ranked.Select(r => r.Host.Name));
        Assert.All(result.Ranked, r => Assert.Equal(0.0, r.Score));   // equal raw values contribute nothing
    }

    [Fact]
    public void Rank_StopsAtZero_AndTracesEveryFilterUpToIt()
    {
        var hosts = new[]
        {
            Hosts.Candidate(1, memoryMiB: 2048),
            Hosts.Candidate(2, memoryMiB: 2048),
            Hosts.Candidate(3, zone: Hosts.ZoneB),
        };
        var result = PlacementPipeline.Default.Rank(new PlacementRequest(Small, PlacementStrategy.Spread, ZoneId: Hosts.ZoneA), hosts);

        Assert.False(result.Found);
        Assert.Equal(["zone", "host-state", "hypervisor", "vcpus", "memory"], result.Trace.Select(s => s.Filter));
        Assert.Equal((3, 2), (result.Trace[0].Before, result.Trace[0].After));
        Assert.Equal((2, 0), (result.Trace[^1].Before, result.Trace[^1].After));
        Assert.Equal(2, result.Trace[^1].EliminatedHostIds.Count);
    }

    [Theory]
    [InlineData(HostState.Disabled, HostPower.On)]
    [InlineData(HostState.Maintenance, HostPower.On)]
    [InlineData(HostState.Down, HostPower.On)]
    [InlineData(HostState.Enabled, HostPower.Off)]
    public void HostStateFilter_Eliminates_HostsOutOfService(HostState state, HostPower power) =>
        Assert.False(new HostStateFilter().Passes(Hosts.Candidate(1, state: state, power: power), new PlacementRequest(Small, PlacementStrategy.Spread)));

    [Fact]
    public void VcpusFilter_AppliesTheAllocationRatio_AfterReserved()
    {
        // (8 − 2) × 4.0 = 24 usable vCPUs; 22 allocated + 2 fits exactly, + 3 does not.
        var host = Hosts.Candidate(1, vcpus: 8, reserved: new Resources(2, 0, 0, 0), ratios: new AllocationRatios(4.0, 1.0, 1.0),
                                   allocated: new Resources(22, 0, 0, 0));
        Assert.True(new VcpusFilter().Passes(host, new PlacementRequest(new Resources(2, 1, 1, 0), PlacementStrategy.Spread)));
        Assert.False(new VcpusFilter().Passes(host, new PlacementRequest(new Resources(3, 1, 1, 0), PlacementStrategy.Spread)));
    }

    [Fact]
    public void MemoryFilter_HonoursReservedMemory()
    {
        var host = Hosts.Candidate(1, memoryMiB: 8192, reserved: new Resources(0, 4096, 0, 0));
        Assert.True(new MemoryFilter().Passes(host, new PlacementRequest(new Resources(1, 4096, 0, 0), PlacementStrategy.Spread)));
        Assert.False(new MemoryFilter().Passes(host, new PlacementRequest(new Resources(1, 4097, 0, 0), PlacementStrategy.Spread)));
    }

    [Fact]
    public void DiskAndNetworkFilters_CompareAgainstWhatIsLeft()
    {
        var host = Hosts.Candidate(1, diskGiB: 100, networkMbps: 1000, allocated: new Resources(0, 0, 60, 900));
        var request = new PlacementRequest(new Resources(1, 1, 40, 100), PlacementStrategy.Spread);
        Assert.True(new DiskFilter().Passes(host, request));
        Assert.True(new NetworkFilter().Passes(host, request));
        var tooMuch = request with { Demand = new Resources(1, 1, 41, 101) };
        Assert.False(new DiskFilter().Passes(host, tooMuch));
        Assert.False(new NetworkFilter().Passes(host, tooMuch));
    }

    [Fact]
    public void Fits_AgreesWithTheCapacityFilters()
    {
        var filters = new IHostFilter[] { new VcpusFilter(), new MemoryFilter(), new DiskFilter(), new NetworkFilter() };
        var random = new Random(42);
        for (var i = 0; i < 500; i++)
        {
            var host = Hosts.Candidate(i, vcpus: random.Next(1, 64), memoryMiB: random.Next(1, 65536), diskGiB: random.Next(0, 500),
                networkMbps: random.Next(0, 10000), ratios: new AllocationRatios(random.Next(1, 16) / 2.0, random.Next(2, 4) / 2.0, 1.0),
                allocated: new Resources(random.Next(0, 64), random.Next(0, 65536), random.Next(0, 500), random.Next(0, 10000)));
            var request = new PlacementRequest(new Resources(random.Next(1, 16), random.Next(1, 16384), random.Next(0, 100), random.Next(0, 1000)),
                                               PlacementStrategy.Spread);
            Assert.Equal(filters.All(f => f.Passes(host, request)), host.Fits(request.Demand));
        }
    }

    [Fact]
    public void HypervisorFilter_KeepsOnlyKindsWithADriver()
    {
        var qemu = Hosts.Candidate(1) with { Hypervisor = "qemu" };
        var request = new PlacementRequest(Small, PlacementStrategy.Spread) { Hypervisors = new HashSet<string> { "fake" } };
        Assert.False(new HypervisorFilter().Passes(qemu, request));
        Assert.True(new HypervisorFilter().Passes(Hosts.Candidate(2), request));
        Assert.True(new HypervisorFilter().Passes(qemu, request with { Hypervisors = null }));
    }

    [Fact]
    public void Rank_SkipsExcludedHosts()
    {
        var hosts = new[] { Hosts.Candidate(1), Hosts.Candidate(2) };
        var request = new PlacementRequest(Small, PlacementStrategy.Spread) { ExcludedHosts = new HashSet<Guid> { hosts[0].Id } };
        var result = PlacementPipeline.Default.Rank(request, hosts);
        Assert.Equal("host-2", Assert.Single(result.Ranked).Host.Name);
    }

    [Fact]
    public void WithClaim_AddsTheDemand_ToTheSnapshot()
    {
        var host = Hosts.Candidate(1, allocated: new Resources(1, 1024, 10, 10)).WithClaim(new Resources(2, 2048, 20, 20));
        Assert.Equal(new Resources(3, 3072, 30, 30), host.Allocated);
        Assert.Equal(1, host.InstanceCount);
    }
}
