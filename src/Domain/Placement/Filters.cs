using IaasApi.Domain.Inventory;

namespace IaasApi.Domain.Placement;

/// <summary>A pure predicate over one host (Nova's BaseHostFilter). Names are public: they appear in <c>eliminations</c>.</summary>
public interface IHostFilter
{
    string Name { get; }
    bool Passes(HostCandidate host, PlacementRequest request);
}

/// <summary>The public filter names (API.md); fixed, never renamed.</summary>
public static class FilterNames
{
    public const string Zone = "zone";
    public const string HostState = "host-state";
    public const string Hypervisor = "hypervisor";
    public const string Vcpus = "vcpus";
    public const string Memory = "memory";
    public const string Disk = "disk";
    public const string Network = "network";
}

public sealed class ZoneFilter : IHostFilter
{
    public string Name => FilterNames.Zone;
    public bool Passes(HostCandidate host, PlacementRequest r) =>
        (r.ZoneId is not { } zone || host.ZoneId == zone) && (r.RegionId is not { } region || host.RegionId == region);
}

/// <summary>Only enabled, powered-on hosts take new instances (disabled, maintenance and down hosts do not).</summary>
public sealed class HostStateFilter : IHostFilter
{
    public string Name => FilterNames.HostState;
    public bool Passes(HostCandidate host, PlacementRequest r) => host.State == HostState.Enabled && host.Power == HostPower.On;
}

/// <summary>Only hosts whose hypervisor has a driver the control plane can drive.</summary>
public sealed class HypervisorFilter : IHostFilter
{
    public string Name => FilterNames.Hypervisor;
    public bool Passes(HostCandidate host, PlacementRequest r) => r.Hypervisors is not { } kinds || kinds.Contains(host.Hypervisor);
}

public sealed class VcpusFilter : IHostFilter
{
    public string Name => FilterNames.Vcpus;
    public bool Passes(HostCandidate host, PlacementRequest r) => host.Allocated.Vcpus + r.Demand.Vcpus <= host.UsableVcpus;
}

public sealed class MemoryFilter : IHostFilter
{
    public string Name => FilterNames.Memory;
    public bool Passes(HostCandidate host, PlacementRequest r) => host.Allocated.MemoryMiB + r.Demand.MemoryMiB <= host.UsableMemoryMiB;
}

public sealed class DiskFilter : IHostFilter
{
    public string Name => FilterNames.Disk;
    public bool Passes(HostCandidate host, PlacementRequest r) => host.Allocated.DiskGiB + r.Demand.DiskGiB <= host.UsableDiskGiB;
}

public sealed class NetworkFilter : IHostFilter
{
    public string Name => FilterNames.Network;
    public bool Passes(HostCandidate host, PlacementRequest r) =>
        host.Allocated.NetworkMbps + r.Demand.NetworkMbps <= host.UsableNetworkMbps;
}
