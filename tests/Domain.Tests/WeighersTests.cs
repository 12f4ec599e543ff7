using IaasApi.Domain.Common;
using IaasApi.Domain.Placement;
using IaasApi.Domain.ServerGroups;
using static IaasApi.Domain.Tests.Hosts;

namespace IaasApi.Domain.Tests;

/// <summary>Every weigher's raw value: which host it prefers and why.</summary>
public sealed class WeighersTests
{
    [Fact]
    public void FreeWeighers_ReportWhatIsLeft()
    {
        var host = Candidate(1, vcpus: 16, memoryMiB: 32768, diskGiB: 500, allocated: new Resources(4, 8192, 100, 0));
        Assert.Equal(24576, new FreeMemoryWeigher().Weigh(host, Request()));
        Assert.Equal(12, new FreeVcpusWeigher().Weigh(host, Request()));
        Assert.Equal(400, new FreeDiskWeigher().Weigh(host, Request()));
        Assert.False(new FreeDiskWeigher().AppliesTo(Request(diskGiB: 0)));
    }

    [Fact]
    public void DominantResourceFit_PrefersTheHostLeftTightestOnTheRequestsBottleneck()
    {
        // A memory-heavy request (1 vCPU, 8 GiB): memory is its dominant share on both hosts.
        var request = Request(vcpus: 1, memoryMiB: 8192, diskGiB: 0);
        var roomy = Candidate(1, vcpus: 32, memoryMiB: 65536);                                   // leaves 56 GiB of 64
        var tight = Candidate(2, vcpus: 32, memoryMiB: 65536, allocated: new Resources(0, 49152, 0, 0));   // leaves 8 of 64
        var weigher = new DominantResourceFitWeigher();
        Assert.Equal(-56.0 / 64, weigher.Weigh(roomy, request), 9);
        Assert.Equal(-8.0 / 64, weigher.Weigh(tight, request), 9);
        Assert.True(weigher.Weigh(tight, request) > weigher.Weigh(roomy, request));
    }

    [Fact]
    public void DominantResourceFit_UsesVcpus_ForACpuHeavyRequest()
    {
        var request = Request(vcpus: 8, memoryMiB: 1024, diskGiB: 0);
        var host = Candidate(1, vcpus: 16, memoryMiB: 65536, allocated: new Resources(4, 0, 0, 0));
        Assert.Equal(-(16.0 - 4 - 8) / 16, new DominantResourceFitWeigher().Weigh(host, request), 9);
    }

    [Fact]
    public void Fill_IsTheMeanUsedFraction()
    {
        var host = Candidate(1, vcpus: 10, memoryMiB: 1000, diskGiB: 100, allocated: new Resources(5, 250, 0, 0));
        Assert.Equal((0.5 + 0.25 + 0.0) / 3, new FillWeigher().Weigh(host, Request()), 9);
    }

    [Fact]
    public void InstanceCount_PrefersFewerInstances()
    {
        var weigher = new InstanceCountWeigher();
        Assert.True(weigher.Weigh(Candidate(1, instanceCount: 1), Request()) > weigher.Weigh(Candidate(2, instanceCount: 5), Request()));
    }

    [Fact]
    public void SoftAffinityAndAntiAffinity_CountMembersOnTheHost_ForTheirPolicyOnly()
    {
        var soft = Request() with { Group = Group(ServerGroupPolicy.SoftAffinity, null, (1, 3)) };
        Assert.Equal(3, new SoftAffinityWeigher().Weigh(Candidate(1), soft));
        Assert.Equal(0, new SoftAffinityWeigher().Weigh(Candidate(2), soft));
        Assert.False(new SoftAntiAffinityWeigher().AppliesTo(soft));
        var apart = Request() with { Group = Group(ServerGroupPolicy.SoftAntiAffinity, null, (1, 3)) };
        Assert.Equal(-3, new SoftAntiAffinityWeigher().Weigh(Candidate(1), apart));
        Assert.False(new SoftAffinityWeigher().AppliesTo(Request()));
    }
}
