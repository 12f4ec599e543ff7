using IaasApi.Domain.Common;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Placement;

namespace IaasApi.Domain.Tests;

/// <summary>Small, explicit builders: every test states the numbers it depends on.</summary>
internal static class Hosts
{
    public static readonly Guid ZoneA = Guid.Parse("00000000-0000-7000-8000-00000000000a");
    public static readonly Guid ZoneB = Guid.Parse("00000000-0000-7000-8000-00000000000b");
    public static readonly Guid Region = Guid.Parse("00000000-0000-7000-8000-0000000000ee");

    public static HostCandidate Candidate(int n, int vcpus = 16, int memoryMiB = 65536, int diskGiB = 1000, int networkMbps = 10000,
                                          Resources? allocated = null, Resources? reserved = null, AllocationRatios? ratios = null,
                                          Guid? zone = null, HostState state = HostState.Enabled, HostPower power = HostPower.On) =>
        new(Guid.Parse($"00000000-0000-7000-8000-{n:D12}"), $"host-{n}", zone ?? ZoneA, Region, "fake", state, power,
            new Resources(vcpus, memoryMiB, diskGiB, networkMbps), reserved ?? Resources.Zero, ratios ?? AllocationRatios.Default,
            allocated ?? Resources.Zero, 0, null, [], []);
}
