using IaasApi.Domain.Common;
using IaasApi.Domain.Inventory;

namespace IaasApi.Domain.Placement;

/// <summary>A host as placement sees it: an immutable snapshot, taken once per request.</summary>
public sealed record HostCandidate(
    Guid Id,
    string Name,
    Guid ZoneId,
    Guid RegionId,
    string Hypervisor,
    HostState State,
    HostPower Power,
    Resources Capacity,
    Resources Reserved,
    AllocationRatios Ratios,
    Resources Allocated,
    int InstanceCount,
    string? CpuModel,
    IReadOnlyList<string> CpuFeatures,
    IReadOnlyList<string> Traits)
{
    public double UsableVcpus => Host.Usable(Capacity.Vcpus, Reserved.Vcpus, Ratios.Cpu);
    public double UsableMemoryMiB => Host.Usable(Capacity.MemoryMiB, Reserved.MemoryMiB, Ratios.Memory);
    public double UsableDiskGiB => Host.Usable(Capacity.DiskGiB, Reserved.DiskGiB, Ratios.Disk);
    public double UsableNetworkMbps => Capacity.NetworkMbps;

    public double FreeVcpus => UsableVcpus - Allocated.Vcpus;
    public double FreeMemoryMiB => UsableMemoryMiB - Allocated.MemoryMiB;
    public double FreeDiskGiB => UsableDiskGiB - Allocated.DiskGiB;
    public double FreeNetworkMbps => UsableNetworkMbps - Allocated.NetworkMbps;

    /// <summary>The same arithmetic as the claim's conditional UPDATE: a host passes here iff the claim can succeed.</summary>
    public bool Fits(Resources demand) =>
        Allocated.Vcpus + demand.Vcpus <= UsableVcpus
        && Allocated.MemoryMiB + demand.MemoryMiB <= UsableMemoryMiB
        && Allocated.DiskGiB + demand.DiskGiB <= UsableDiskGiB
        && Allocated.NetworkMbps + demand.NetworkMbps <= UsableNetworkMbps;

    public static HostCandidate From(Host h) => new(h.Id, h.Name, h.ZoneId, h.RegionId, h.Hypervisor, h.State, h.Power,
        h.Capacity, h.Reserved, h.AllocationRatios, h.Allocated, h.InstanceCount, h.CpuModel, h.CpuFeatures, h.Traits);

    /// <summary>This snapshot after a claim of <paramref name="demand"/> (used to place a batch within one request).</summary>
    public HostCandidate WithClaim(Resources demand) =>
        this with { Allocated = Allocated + demand, InstanceCount = InstanceCount + 1 };
}
