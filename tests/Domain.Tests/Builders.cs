using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Placement;
using IaasApi.Domain.ServerGroups;

namespace IaasApi.Domain.Tests;

/// <summary>Small, explicit builders: every test states the numbers it depends on.</summary>
internal static class Hosts
{
    public static readonly Guid ZoneA = Guid.Parse("00000000-0000-7000-8000-00000000000a");
    public static readonly Guid ZoneB = Guid.Parse("00000000-0000-7000-8000-00000000000b");
    public static readonly Guid Region = Guid.Parse("00000000-0000-7000-8000-0000000000ee");
    public static readonly DriverCapabilities FakeCapabilities = new(true, true, true, true);

    public static Guid IdOf(int n) => Guid.Parse($"00000000-0000-7000-8000-{n:D12}");

    public static HostCandidate Candidate(int n, int vcpus = 16, int memoryMiB = 65536, int diskGiB = 1000, int networkMbps = 10000,
                                          Resources? allocated = null, Resources? reserved = null, AllocationRatios? ratios = null,
                                          Guid? zone = null, HostState state = HostState.Enabled, HostPower power = HostPower.On,
                                          string hypervisor = "fake", DriverCapabilities? capabilities = null, string? cpuModel = null,
                                          string[]? cpuFeatures = null, string[]? traits = null, int instanceCount = 0) =>
        new(IdOf(n), $"host-{n}", zone ?? ZoneA, Region, hypervisor, state, power,
            new Resources(vcpus, memoryMiB, diskGiB, networkMbps), reserved ?? Resources.Zero, ratios ?? AllocationRatios.Default,
            allocated ?? Resources.Zero, instanceCount, cpuModel, cpuFeatures ?? [], traits ?? [], capabilities ?? FakeCapabilities);

    public static PlacementRequest Request(int vcpus = 2, int memoryMiB = 4096, int diskGiB = 40, int networkMbps = 0,
                                           PlacementStrategy strategy = PlacementStrategy.Spread) =>
        new(new Resources(vcpus, memoryMiB, diskGiB, networkMbps), strategy);

    public static GroupPlacement Group(ServerGroupPolicy policy, int? maxPerHost = null, params (int Host, int Members)[] members) =>
        new(Guid.NewGuid(), policy, maxPerHost, members.ToDictionary(m => IdOf(m.Host), m => m.Members));

    public static string[] Set(params string[] items) => items;
}
