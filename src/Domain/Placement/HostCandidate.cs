using System.Collections.Frozen;
using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Inventory;

namespace IaasApi.Domain.Placement;

/// <summary>
/// A host as placement sees it: an immutable snapshot. Usable and free amounts are computed once at construction,
/// because the pipeline reads them for every host of every request.
/// </summary>
public sealed class HostCandidate
{
    public HostCandidate(Guid id, string name, Guid zoneId, Guid regionId, string hypervisor, HostState state, HostPower power,
                         Resources capacity, Resources reserved, AllocationRatios ratios, Resources allocated, int instanceCount,
                         string? cpuModel, IEnumerable<string> cpuFeatures, IEnumerable<string> traits,
                         DriverCapabilities? capabilities = null, long configVersion = 0, long rowVersion = 0,
                         Resources? committed = null)
        : this(id, name, zoneId, regionId, hypervisor, state, power, capacity, reserved, ratios, allocated, instanceCount, cpuModel,
               cpuFeatures as FrozenSet<string> ?? cpuFeatures.ToFrozenSet(StringComparer.OrdinalIgnoreCase),
               traits as FrozenSet<string> ?? traits.ToFrozenSet(StringComparer.OrdinalIgnoreCase), capabilities, configVersion, rowVersion,
               committed ?? allocated)
    {
    }

    private HostCandidate(Guid id, string name, Guid zoneId, Guid regionId, string hypervisor, HostState state, HostPower power,
                          Resources capacity, Resources reserved, AllocationRatios ratios, Resources allocated, int instanceCount,
                          string? cpuModel, FrozenSet<string> cpuFeatures, FrozenSet<string> traits, DriverCapabilities? capabilities,
                          long configVersion, long rowVersion, Resources committed)
    {
        Committed = committed;
        ConfigVersion = configVersion;
        RowVersion = rowVersion;
        Id = id;
        Name = name;
        ZoneId = zoneId;
        RegionId = regionId;
        Hypervisor = hypervisor;
        State = state;
        Power = power;
        Capacity = capacity;
        Reserved = reserved;
        Ratios = ratios;
        Allocated = allocated;
        InstanceCount = instanceCount;
        CpuModel = cpuModel;
        CpuFeatures = cpuFeatures;
        Traits = traits;
        Capabilities = capabilities;
        UsableVcpus = Host.Usable(capacity.Vcpus, reserved.Vcpus, ratios.Cpu);
        UsableMemoryMiB = Host.Usable(capacity.MemoryMiB, reserved.MemoryMiB, ratios.Memory);
        UsableDiskGiB = Host.Usable(capacity.DiskGiB, reserved.DiskGiB, ratios.Disk);
        UsableNetworkMbps = capacity.NetworkMbps;
        FreeVcpus = UsableVcpus - allocated.Vcpus;
        FreeMemoryMiB = UsableMemoryMiB - allocated.MemoryMiB;
        FreeDiskGiB = UsableDiskGiB - allocated.DiskGiB;
        FreeNetworkMbps = UsableNetworkMbps - allocated.NetworkMbps;
    }

    public Guid Id { get; }
    public string Name { get; }
    public Guid ZoneId { get; }
    public Guid RegionId { get; }
    public string Hypervisor { get; }
    public HostState State { get; }
    public HostPower Power { get; }
    public Resources Capacity { get; }
    public Resources Reserved { get; }
    public AllocationRatios Ratios { get; }
    public Resources Allocated { get; }
    public int InstanceCount { get; }
    public string? CpuModel { get; }
    public FrozenSet<string> CpuFeatures { get; }
    public FrozenSet<string> Traits { get; }
    /// <summary>
    /// What every future instant already owes (non-preemptible instances outside reservations + the reservations'
    /// peak): a non-preemptible instance must fit on top of it as well as physically; a preemptible one need not.
    /// </summary>
    public Resources Committed { get; }

    /// <summary>The host's configuration version as placement saw it (claims require it unchanged).</summary>
    public long ConfigVersion { get; }

    /// <summary>The host row's version when read (a refresh skips rows whose version did not move).</summary>
    public long RowVersion { get; }

    /// <summary>What the host's driver can do (null: no driver for this kind in this process).</summary>
    public DriverCapabilities? Capabilities { get; }

    /// <summary>(capacity − reserved) × ratio, per resource: what placement may hand out.</summary>
    public double UsableVcpus { get; }
    public double UsableMemoryMiB { get; }
    public double UsableDiskGiB { get; }
    public double UsableNetworkMbps { get; }

    public double FreeVcpus { get; }
    public double FreeMemoryMiB { get; }
    public double FreeDiskGiB { get; }
    public double FreeNetworkMbps { get; }

    /// <summary>The same arithmetic as the claim's conditional UPDATE: a host passes the capacity filters iff the claim can succeed.</summary>
    public bool Fits(Resources demand, bool preemptible = false) =>
        Allocated.Vcpus + demand.Vcpus <= UsableVcpus
        && Allocated.MemoryMiB + demand.MemoryMiB <= UsableMemoryMiB
        && Allocated.DiskGiB + demand.DiskGiB <= UsableDiskGiB
        && Allocated.NetworkMbps + demand.NetworkMbps <= UsableNetworkMbps
        && (preemptible || (Committed.Vcpus + demand.Vcpus <= UsableVcpus
                            && Committed.MemoryMiB + demand.MemoryMiB <= UsableMemoryMiB
                            && Committed.DiskGiB + demand.DiskGiB <= UsableDiskGiB
                            && Committed.NetworkMbps + demand.NetworkMbps <= UsableNetworkMbps));

    /// <summary>This snapshot after a claim of <paramref name="demand"/> (a batch placed in one request, a local claim).</summary>
    public HostCandidate WithClaim(Resources demand, bool preemptible = false) =>
        WithAllocation(Allocated + demand, InstanceCount + 1, preemptible ? Committed : Committed + demand);

    public HostCandidate WithAllocation(Resources allocated, int instanceCount, Resources? committed = null) =>
        new(Id, Name, ZoneId, RegionId, Hypervisor, State, Power, Capacity, Reserved, Ratios, allocated, instanceCount, CpuModel,
            CpuFeatures, Traits, Capabilities, ConfigVersion, RowVersion, committed ?? Committed + (allocated - Allocated));

    /// <summary>This host as if it were on: what placement would find on a powered-off host if it were woken.</summary>
    public HostCandidate WithPower(HostPower power) =>
        new(Id, Name, ZoneId, RegionId, Hypervisor, State, power, Capacity, Reserved, Ratios, Allocated, InstanceCount, CpuModel,
            CpuFeatures, Traits, Capabilities, ConfigVersion, RowVersion, Committed);

    public HostCandidate WithHypervisor(string hypervisor, DriverCapabilities? capabilities) =>
        new(Id, Name, ZoneId, RegionId, hypervisor, State, Power, Capacity, Reserved, Ratios, Allocated, InstanceCount, CpuModel,
            CpuFeatures, Traits, capabilities, ConfigVersion, RowVersion, Committed);

    public static HostCandidate From(Host h, DriverCapabilities? capabilities) => new(h.Id, h.Name, h.ZoneId, h.RegionId, h.Hypervisor,
        h.State, h.Power, h.Capacity, h.Reserved, h.AllocationRatios, h.Allocated + h.IdleReserved, h.InstanceCount, h.CpuModel, h.CpuFeatures, h.Traits,
        capabilities, h.ConfigVersion, h.Version, h.Committed);
}
