using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Placement;
using IaasApi.Domain.ServerGroups;
using static IaasApi.Domain.Tests.Hosts;

namespace IaasApi.Domain.Tests;

/// <summary>Every filter: what passes, what does not, why, and when it does not apply at all.</summary>
public sealed class FiltersTests
{
    [Fact]
    public void ZoneFilter_KeepsHostsOfTheZoneAndRegion()
    {
        var filter = new ZoneFilter();
        Assert.False(filter.AppliesTo(Request()));
        var inA = Request() with { ZoneId = ZoneA };
        Assert.True(filter.Passes(Candidate(1), inA));
        Assert.False(filter.Passes(Candidate(2, zone: ZoneB), inA));
        Assert.Contains(ZoneA.ToString(), filter.Explain(Candidate(2, zone: ZoneB), inA));
        Assert.False(filter.Passes(Candidate(1), Request() with { RegionId = Guid.NewGuid() }));
    }

    [Theory]
    [InlineData(HostState.Disabled, HostPower.On, "host is disabled")]
    [InlineData(HostState.Maintenance, HostPower.On, "host is maintenance")]
    [InlineData(HostState.Down, HostPower.On, "host is down")]
    [InlineData(HostState.Enabled, HostPower.Off, "host is powered off")]
    public void HostStateFilter_Eliminates_HostsOutOfService(HostState state, HostPower power, string reason)
    {
        var host = Candidate(1, state: state, power: power);
        Assert.False(new HostStateFilter().Passes(host, Request()));
        Assert.Equal(reason, new HostStateFilter().Explain(host, Request()));
        Assert.True(new HostStateFilter().Passes(Candidate(2), Request()));
    }

    [Fact]
    public void HypervisorFilter_KeepsKindsWithADriver_TheImagesKind_AndThePlansCapabilities()
    {
        var filter = new HypervisorFilter();
        var qemu = Candidate(1).WithHypervisor("qemu", capabilities: null);   // a kind this process has no driver for
        var noLive = Candidate(2, capabilities: new DriverCapabilities(true, false, true, false));
        var fake = Candidate(3);

        Assert.False(filter.Passes(qemu, Request()));
        Assert.Equal("no 'qemu' driver is available", filter.Explain(qemu, Request()));
        Assert.True(filter.Passes(fake, Request()));

        var qemuOnly = Request() with { RequiredHypervisor = "qemu" };
        Assert.False(filter.Passes(fake, qemuOnly));
        Assert.Equal("hypervisor is 'fake', the image needs 'qemu'", filter.Explain(fake, qemuOnly));

        var live = Request() with { RequiredCapabilities = Set(CapabilityNames.LiveMigration) };
        Assert.False(filter.Passes(noLive, live));
        Assert.Equal("driver lacks live-migration", filter.Explain(noLive, live));
        Assert.True(filter.Passes(fake, live));
    }

    [Fact]
    public void VcpusFilter_AppliesTheAllocationRatio_AfterReserved()
    {
        // (8 − 2) × 4.0 = 24 usable vCPUs; 22 allocated + 2 fits exactly, + 3 does not.
        var host = Candidate(1, vcpus: 8, reserved: new Resources(2, 0, 0, 0), ratios: new AllocationRatios(4.0, 1.0, 1.0),
                             allocated: new Resources(22, 0, 0, 0));
        Assert.True(new CapacityFilter<Vcpus>().Passes(host, Request(vcpus: 2)));
        Assert.False(new CapacityFilter<Vcpus>().Passes(host, Request(vcpus: 3)));
        Assert.Equal("needs 3 vCPUs, 2 free", new CapacityFilter<Vcpus>().Explain(host, Request(vcpus: 3)));
    }

    [Fact]
    public void MemoryFilter_HonoursReservedMemoryAndOvercommit()
    {
        var host = Candidate(1, memoryMiB: 8192, reserved: new Resources(0, 4096, 0, 0));
        Assert.True(new CapacityFilter<Memory>().Passes(host, Request(memoryMiB: 4096)));
        Assert.False(new CapacityFilter<Memory>().Passes(host, Request(memoryMiB: 4097)));
        var overcommitted = Candidate(2, memoryMiB: 8192, ratios: new AllocationRatios(1.0, 1.5, 1.0), allocated: new Resources(0, 8192, 0, 0));
        Assert.True(new CapacityFilter<Memory>().Passes(overcommitted, Request(memoryMiB: 4096)));   // 8192 × 1.5 = 12288
        Assert.Equal("needs 4097 MiB, 4096 free", new CapacityFilter<Memory>().Explain(host, Request(memoryMiB: 4097)));
    }

    [Fact]
    public void DiskAndNetworkFilters_CompareAgainstWhatIsLeft_EvenForZeroDemands()
    {
        var host = Candidate(1, diskGiB: 100, networkMbps: 1000, allocated: new Resources(0, 0, 60, 900));
        Assert.True(new CapacityFilter<Disk>().Passes(host, Request(diskGiB: 40, networkMbps: 100)));
        Assert.True(new CapacityFilter<Network>().Passes(host, Request(diskGiB: 40, networkMbps: 100)));
        Assert.False(new CapacityFilter<Disk>().Passes(host, Request(diskGiB: 41)));
        Assert.False(new CapacityFilter<Network>().Passes(host, Request(networkMbps: 101)));
        // Zero demand still fails an over-committed host (a lowered ratio): the claim's WHERE says the same.
        var overcommitted = Candidate(2, diskGiB: 100, networkMbps: 1000, allocated: new Resources(0, 0, 120, 1100));
        Assert.False(new CapacityFilter<Disk>().Passes(overcommitted, Request(diskGiB: 0)));
        Assert.False(new CapacityFilter<Network>().Passes(overcommitted, Request(networkMbps: 0)));
    }

    [Fact]
    public void CpuFeaturesFilter_RequiresTheModelAndEveryFeature()
    {
        var filter = new CpuFeaturesFilter();
        var host = Candidate(1, cpuModel: "Intel Xeon Gold 6338", cpuFeatures: ["aes", "avx2", "sse4_2"]);
        Assert.False(filter.AppliesTo(Request()));
        Assert.True(filter.Passes(host, Request() with { RequiredCpuFeatures = Set("AVX2", "aes") }));   // case-insensitive
        var needsAvx512 = Request() with { RequiredCpuFeatures = Set("avx2", "avx512f") };
        Assert.False(filter.Passes(host, needsAvx512));
        Assert.Equal("CPU lacks avx512f", filter.Explain(host, needsAvx512));
        Assert.True(filter.Passes(host, Request() with { RequiredCpuModel = "intel xeon gold 6338" }));
        Assert.False(filter.Passes(host, Request() with { RequiredCpuModel = "AMD EPYC 7763" }));
    }

    [Fact]
    public void TraitsFilter_RequiresAllRequired_AndNoForbidden()
    {
        var filter = new TraitsFilter();
        var ssd = Candidate(1, traits: ["ssd", "sriov"]);
        var gpu = Candidate(2, traits: ["ssd", "gpu"]);
        Assert.False(filter.AppliesTo(Request()));
        var needsSsdNoGpu = Request() with { RequiredTraits = Set("ssd"), ForbiddenTraits = Set("gpu") };
        Assert.True(filter.Passes(ssd, needsSsdNoGpu));
        Assert.False(filter.Passes(gpu, needsSsdNoGpu));
        Assert.Equal("has forbidden trait gpu", filter.Explain(gpu, needsSsdNoGpu));
        Assert.Equal("lacks trait nvme", filter.Explain(ssd, Request() with { RequiredTraits = Set("nvme") }));
    }

    [Fact]
    public void AffinityFilter_FollowsTheFirstMember_OnlyOnceThereIsOne()
    {
        var filter = new AffinityFilter();
        Assert.False(filter.AppliesTo(Request() with { Group = Group(ServerGroupPolicy.Affinity) }));   // first member goes anywhere
        var request = Request() with { Group = Group(ServerGroupPolicy.Affinity, null, (1, 2)) };
        Assert.True(filter.AppliesTo(request));
        Assert.True(filter.Passes(Candidate(1), request));
        Assert.False(filter.Passes(Candidate(2), request));
        Assert.False(filter.AppliesTo(Request() with { Group = Group(ServerGroupPolicy.SoftAffinity, null, (1, 2)) }));   // soft: a weigher
    }

    [Fact]
    public void AntiAffinityFilter_AllowsMaxPerHostMembers()
    {
        var filter = new AntiAffinityFilter();
        var one = Request() with { Group = Group(ServerGroupPolicy.AntiAffinity, null, (1, 1)) };
        Assert.False(filter.Passes(Candidate(1), one));
        Assert.True(filter.Passes(Candidate(2), one));
        Assert.Equal("holds 1 member(s) of the anti-affinity group (max 1)", filter.Explain(Candidate(1), one));
        var two = Request() with { Group = Group(ServerGroupPolicy.AntiAffinity, 2, (1, 1)) };
        Assert.True(filter.Passes(Candidate(1), two));
        Assert.False(filter.Passes(Candidate(1), two with { Group = two.Group!.WithMember(IdOf(1)) }));
    }

    [Fact]
    public void MaxPerHostFilter_CapsInstancesPerHost_WhenConfigured()
    {
        var filter = new MaxPerHostFilter();
        Assert.False(filter.AppliesTo(Request()));
        var capped = Request() with { MaxInstancesPerHost = 3 };
        Assert.True(filter.Passes(Candidate(1, instanceCount: 2), capped));
        Assert.False(filter.Passes(Candidate(1, instanceCount: 3), capped));
    }

    [Fact]
    public void Fits_AgreesWithTheCapacityFilters()
    {
        var filters = new IHostFilter[] { new CapacityFilter<Vcpus>(), new CapacityFilter<Memory>(), new CapacityFilter<Disk>(), new CapacityFilter<Network>() };
        var random = new Random(42);
        for (var i = 0; i < 500; i++)
        {
            var host = Candidate(i, vcpus: random.Next(1, 64), memoryMiB: random.Next(1, 65536), diskGiB: random.Next(0, 500),
                networkMbps: random.Next(0, 10000), ratios: new AllocationRatios(random.Next(1, 16) / 2.0, random.Next(2, 4) / 2.0, 1.0),
                allocated: new Resources(random.Next(0, 64), random.Next(0, 65536), random.Next(0, 500), random.Next(0, 10000)));
            var request = Request(random.Next(1, 16), random.Next(1, 16384), random.Next(0, 100), random.Next(0, 1000));
            Assert.Equal(filters.All(f => !f.AppliesTo(request) || f.Passes(host, request)), host.Fits(request.Demand));
        }
    }
}
