using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.ServerGroups;

namespace IaasApi.Domain.Placement;

/// <summary>
/// A pure predicate over one host (Nova's BaseHostFilter). Names are public: they appear in <c>eliminations</c>.
/// </summary>
public interface IHostFilter
{
    string Name { get; }

    /// <summary>False when the request asks nothing of this filter: the pipeline skips it (no host can fail it).</summary>
    bool AppliesTo(PlacementRequest request) => true;

    bool Passes(HostCandidate host, PlacementRequest request);

    /// <summary>Why <paramref name="host"/> fails, in words an operator can act on (only asked for eliminated hosts).</summary>
    string Explain(HostCandidate host, PlacementRequest request);
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
    public const string CpuFeatures = "cpu-features";
    public const string Traits = "traits";
    public const string Affinity = "affinity";
    public const string AntiAffinity = "anti-affinity";
    public const string MaxPerHost = "max-per-host";
}

public sealed class ZoneFilter : IHostFilter
{
    public string Name => FilterNames.Zone;
    public bool AppliesTo(PlacementRequest r) => r.ZoneId is not null || r.RegionId is not null;
    public bool Passes(HostCandidate host, PlacementRequest r) =>
        (r.ZoneId is not { } zone || host.ZoneId == zone) && (r.RegionId is not { } region || host.RegionId == region);
    public string Explain(HostCandidate host, PlacementRequest r) =>
        r.ZoneId is { } zone && host.ZoneId != zone ? $"in zone {host.ZoneId}, not {zone}" : $"in region {host.RegionId}, not {r.RegionId}";
}

/// <summary>Only enabled, powered-on hosts take new instances (disabled, maintenance and down hosts do not).</summary>
public sealed class HostStateFilter : IHostFilter
{
    public string Name => FilterNames.HostState;
    public bool Passes(HostCandidate host, PlacementRequest r) => host.State == HostState.Enabled && host.Power == HostPower.On;
    public string Explain(HostCandidate host, PlacementRequest r) =>
        host.State != HostState.Enabled ? $"host is {EnumWords.ToWord(host.State)}" : $"host is powered {EnumWords.ToWord(host.Power)}";
}

/// <summary>
/// The hypervisor kind: one the control plane has a driver for, the one the image requires (if any), and the driver
/// capabilities the SLA plan requires (an SLA that promises live migration needs hosts whose driver can do it).
/// </summary>
public sealed class HypervisorFilter : IHostFilter
{
    public string Name => FilterNames.Hypervisor;
    public bool AppliesTo(PlacementRequest r) => r.Hypervisors is not null || r.RequiredHypervisor is not null || r.RequiredCapabilities.Count > 0;

    public bool Passes(HostCandidate host, PlacementRequest r) =>
        (r.Hypervisors is not { } kinds || kinds.Contains(host.Hypervisor))
        && (r.RequiredHypervisor is not { } required || string.Equals(host.Hypervisor, required, StringComparison.Ordinal))
        && (r.RequiredCapabilities.Count == 0 || (host.Capabilities is { } caps && r.RequiredCapabilities.All(caps.Has)));

    public string Explain(HostCandidate host, PlacementRequest r)
    {
        if (r.Hypervisors is { } kinds && !kinds.Contains(host.Hypervisor)) return $"no '{host.Hypervisor}' driver is available";
        if (r.RequiredHypervisor is { } required && host.Hypervisor != required) return $"hypervisor is '{host.Hypervisor}', the image needs '{required}'";
        var missing = r.RequiredCapabilities.Where(c => host.Capabilities?.Has(c) != true);
        return $"driver lacks {string.Join(", ", missing)}";
    }
}

public sealed class VcpusFilter : IHostFilter
{
    public string Name => FilterNames.Vcpus;
    public bool Passes(HostCandidate host, PlacementRequest r) => host.Allocated.Vcpus + r.Demand.Vcpus <= host.UsableVcpus;
    public string Explain(HostCandidate host, PlacementRequest r) => $"needs {r.Demand.Vcpus} vCPUs, {Math.Max(0, host.FreeVcpus):0.##} free";
}

public sealed class MemoryFilter : IHostFilter
{
    public string Name => FilterNames.Memory;
    public bool Passes(HostCandidate host, PlacementRequest r) => host.Allocated.MemoryMiB + r.Demand.MemoryMiB <= host.UsableMemoryMiB;
    public string Explain(HostCandidate host, PlacementRequest r) => $"needs {r.Demand.MemoryMiB} MiB, {Math.Max(0, host.FreeMemoryMiB):0.##} free";
}

public sealed class DiskFilter : IHostFilter
{
    public string Name => FilterNames.Disk;
    public bool AppliesTo(PlacementRequest r) => r.Demand.DiskGiB > 0;
    public bool Passes(HostCandidate host, PlacementRequest r) => host.Allocated.DiskGiB + r.Demand.DiskGiB <= host.UsableDiskGiB;
    public string Explain(HostCandidate host, PlacementRequest r) => $"needs {r.Demand.DiskGiB} GiB, {Math.Max(0, host.FreeDiskGiB):0.##} free";
}

public sealed class NetworkFilter : IHostFilter
{
    public string Name => FilterNames.Network;
    public bool AppliesTo(PlacementRequest r) => r.Demand.NetworkMbps > 0;
    public bool Passes(HostCandidate host, PlacementRequest r) =>
        host.Allocated.NetworkMbps + r.Demand.NetworkMbps <= host.UsableNetworkMbps;
    public string Explain(HostCandidate host, PlacementRequest r) => $"needs {r.Demand.NetworkMbps} Mbps, {Math.Max(0, host.FreeNetworkMbps):0.##} free";
}

/// <summary>The CPU model and every CPU feature the image and flavor require (e.g. avx2, aes for a crypto workload).</summary>
public sealed class CpuFeaturesFilter : IHostFilter
{
    public string Name => FilterNames.CpuFeatures;
    public bool AppliesTo(PlacementRequest r) => r.RequiredCpuModel is not null || r.RequiredCpuFeatures.Count > 0;

    public bool Passes(HostCandidate host, PlacementRequest r) =>
        (r.RequiredCpuModel is not { } model || string.Equals(host.CpuModel, model, StringComparison.OrdinalIgnoreCase))
        && r.RequiredCpuFeatures.All(host.CpuFeatures.Contains);

    public string Explain(HostCandidate host, PlacementRequest r)
    {
        if (r.RequiredCpuModel is { } model && !string.Equals(host.CpuModel, model, StringComparison.OrdinalIgnoreCase))
            return $"CPU model is '{host.CpuModel ?? "unknown"}', needs '{model}'";
        return $"CPU lacks {string.Join(", ", r.RequiredCpuFeatures.Where(f => !host.CpuFeatures.Contains(f)).Order(StringComparer.Ordinal))}";
    }
}

/// <summary>Required traits must all be present, forbidden ones all absent (Placement's required/forbidden traits).</summary>
public sealed class TraitsFilter : IHostFilter
{
    public string Name => FilterNames.Traits;
    public bool AppliesTo(PlacementRequest r) => r.RequiredTraits.Count > 0 || r.ForbiddenTraits.Count > 0;

    public bool Passes(HostCandidate host, PlacementRequest r) =>
        r.RequiredTraits.All(host.Traits.Contains) && !r.ForbiddenTraits.Any(host.Traits.Contains);

    public string Explain(HostCandidate host, PlacementRequest r)
    {
        var missing = r.RequiredTraits.Where(t => !host.Traits.Contains(t)).Order(StringComparer.Ordinal).ToList();
        return missing.Count > 0
            ? $"lacks trait {string.Join(", ", missing)}"
            : $"has forbidden trait {string.Join(", ", r.ForbiddenTraits.Where(host.Traits.Contains).Order(StringComparer.Ordinal))}";
    }
}

/// <summary>Hard affinity: once the group has a member, every member goes to that member's host.</summary>
public sealed class AffinityFilter : IHostFilter
{
    public string Name => FilterNames.Affinity;
    public bool AppliesTo(PlacementRequest r) => r.Group is { Policy: ServerGroupPolicy.Affinity } g && g.TotalMembers > 0;
    public bool Passes(HostCandidate host, PlacementRequest r) => r.Group!.MembersOn(host.Id) > 0;
    public string Explain(HostCandidate host, PlacementRequest r) => "the affinity group's members run on another host";
}

/// <summary>Hard anti-affinity: at most <c>maxPerHost</c> (default 1) members of the group per host.</summary>
public sealed class AntiAffinityFilter : IHostFilter
{
    public string Name => FilterNames.AntiAffinity;
    public bool AppliesTo(PlacementRequest r) => r.Group is { Policy: ServerGroupPolicy.AntiAffinity } g && g.TotalMembers > 0;
    public bool Passes(HostCandidate host, PlacementRequest r) => r.Group!.MembersOn(host.Id) < (r.Group.MaxPerHost ?? 1);
    public string Explain(HostCandidate host, PlacementRequest r) =>
        $"holds {r.Group!.MembersOn(host.Id)} member(s) of the anti-affinity group (max {r.Group.MaxPerHost ?? 1})";
}

/// <summary>The cloud-wide cap on instances per host (Nova's NumInstancesFilter).</summary>
public sealed class MaxPerHostFilter : IHostFilter
{
    public string Name => FilterNames.MaxPerHost;
    public bool AppliesTo(PlacementRequest r) => r.MaxInstancesPerHost > 0;
    public bool Passes(HostCandidate host, PlacementRequest r) => host.InstanceCount < r.MaxInstancesPerHost;
    public string Explain(HostCandidate host, PlacementRequest r) => $"holds {host.InstanceCount} instances (max {r.MaxInstancesPerHost})";
}
