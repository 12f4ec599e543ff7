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

    /// <summary>
    /// Keeps, in <paramref name="idx"/>[0..count), the hosts that pass; returns how many. The built-in filters are
    /// structs that run this loop through <see cref="FilterLoop.Keep{T}"/>, specialised for their own type, so the
    /// per-host <see cref="Passes"/> is a direct, inlinable call (measured ~2x faster at 10,000 hosts).
    /// </summary>
    int Keep(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, List<Elimination>? eliminated)
    {
        var kept = 0;
        for (var j = 0; j < count; j++)
        {
            var host = hosts[idx[j]];
            if (Passes(host, request)) idx[kept++] = idx[j];
            else eliminated?.Add(new Elimination(host.Id, host.Name, Explain(host, request)));
        }
        return kept;
    }
}

public static class FilterLoop
{
    public static int Keep<T>(T filter, HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, List<Elimination>? eliminated)
        where T : struct, IHostFilter
    {
        var kept = 0;
        if (eliminated is null)
        {
            for (var j = 0; j < count; j++)
            {
                var i = idx[j];
                if (filter.Passes(hosts[i], request)) idx[kept++] = i;
            }
            return kept;
        }
        for (var j = 0; j < count; j++)
        {
            var host = hosts[idx[j]];
            if (filter.Passes(host, request)) idx[kept++] = idx[j];
            else eliminated.Add(new Elimination(host.Id, host.Name, filter.Explain(host, request)));
        }
        return kept;
    }
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

public readonly struct ZoneFilter : IHostFilter
{
    public int Keep(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, List<Elimination>? eliminated) =>
        FilterLoop.Keep(this, hosts, idx, count, request, eliminated);

    public string Name => FilterNames.Zone;
    public bool AppliesTo(PlacementRequest r) => r.ZoneId is not null || r.RegionId is not null;
    public bool Passes(HostCandidate host, PlacementRequest r) =>
        (r.ZoneId is not { } zone || host.ZoneId == zone) && (r.RegionId is not { } region || host.RegionId == region);
    public string Explain(HostCandidate host, PlacementRequest r) =>
        r.ZoneId is { } zone && host.ZoneId != zone ? $"in zone {host.ZoneId}, not {zone}" : $"in region {host.RegionId}, not {r.RegionId}";
}

/// <summary>Only enabled, powered-on (or booting) hosts take new instances (disabled, maintenance, down and powered-off hosts do not).</summary>
public readonly struct HostStateFilter : IHostFilter
{
    public int Keep(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, List<Elimination>? eliminated) =>
        FilterLoop.Keep(this, hosts, idx, count, request, eliminated);

    public string Name => FilterNames.HostState;
    public bool Passes(HostCandidate host, PlacementRequest r) => host.State == HostState.Enabled && Host.Serves(host.Power);
    public string Explain(HostCandidate host, PlacementRequest r) =>
        host.State != HostState.Enabled ? $"host is {EnumWords.ToWord(host.State)}" : $"host is powered {EnumWords.ToWord(host.Power)}";
}

/// <summary>
/// The hypervisor: a kind the control plane has a driver for (a host without one has no capabilities), the kind the
/// image requires (if any), and the driver capabilities the SLA plan requires (an SLA that promises live migration
/// needs hosts whose driver can do it).
/// </summary>
public readonly struct HypervisorFilter : IHostFilter
{
    public int Keep(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, List<Elimination>? eliminated) =>
        FilterLoop.Keep(this, hosts, idx, count, request, eliminated);

    public string Name => FilterNames.Hypervisor;

    public bool Passes(HostCandidate host, PlacementRequest r)
    {
        if (host.Capabilities is not { } caps) return false;
        if (r.RequiredHypervisor is { } required && !string.Equals(host.Hypervisor, required, StringComparison.Ordinal)) return false;
        foreach (var capability in r.RequiredCapabilities)
            if (!caps.Has(capability)) return false;
        return true;
    }

    public string Explain(HostCandidate host, PlacementRequest r)
    {
        if (host.Capabilities is null) return $"no '{host.Hypervisor}' driver is available";
        if (r.RequiredHypervisor is { } required && host.Hypervisor != required) return $"hypervisor is '{host.Hypervisor}', the image needs '{required}'";
        var missing = r.RequiredCapabilities.Where(c => host.Capabilities?.Has(c) != true);
        return $"driver lacks {string.Join(", ", missing)}";
    }
}

/// <summary>
/// One dimension of a host's capacity as the capacity filters read it: its filter name, its unit, its amount in a
/// <see cref="Resources"/> and what the host can hand out of it (after reserved, times the allocation ratio).
/// </summary>
public interface ICapacityDimension
{
    static abstract string Name { get; }
    static abstract string Unit { get; }
    static abstract int Of(Resources resources);
    static abstract double Usable(HostCandidate host);
}

/// <summary>
/// The request's demand of one dimension fits beside what is allocated, and (unless it is preemptible) beside what
/// reservations hold too. A struct generic over a struct dimension: each instantiation is specialised by the JIT, so the
/// per-host check is as direct as a hand-written filter's.
/// </summary>
public readonly struct CapacityFilter<TDimension> : IHostFilter where TDimension : struct, ICapacityDimension
{
    public int Keep(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, List<Elimination>? eliminated) =>
        FilterLoop.Keep(this, hosts, idx, count, request, eliminated);

    public string Name => TDimension.Name;

    public bool Passes(HostCandidate host, PlacementRequest r)
    {
        var (need, usable) = (TDimension.Of(r.Demand), TDimension.Usable(host));
        return TDimension.Of(host.Allocated) + need <= usable && (r.Preemptible || TDimension.Of(host.Committed) + need <= usable);
    }

    public string Explain(HostCandidate host, PlacementRequest r) =>
        Capacity.Explain(TDimension.Of(r.Demand), TDimension.Unit, TDimension.Usable(host), TDimension.Of(host.Allocated),
                         TDimension.Of(host.Committed), r.Preemptible);
}

public readonly struct Vcpus : ICapacityDimension
{
    public static string Name => FilterNames.Vcpus;
    public static string Unit => "vCPUs";
    public static int Of(Resources resources) => resources.Vcpus;
    public static double Usable(HostCandidate host) => host.UsableVcpus;
}

public readonly struct Memory : ICapacityDimension
{
    public static string Name => FilterNames.Memory;
    public static string Unit => "MiB";
    public static int Of(Resources resources) => resources.MemoryMiB;
    public static double Usable(HostCandidate host) => host.UsableMemoryMiB;
}

public readonly struct Disk : ICapacityDimension
{
    public static string Name => FilterNames.Disk;
    public static string Unit => "GiB";
    public static int Of(Resources resources) => resources.DiskGiB;
    public static double Usable(HostCandidate host) => host.UsableDiskGiB;
}

public readonly struct Network : ICapacityDimension
{
    public static string Name => FilterNames.Network;
    public static string Unit => "Mbps";
    public static int Of(Resources resources) => resources.NetworkMbps;
    public static double Usable(HostCandidate host) => host.UsableNetworkMbps;
}

internal static class Capacity
{
    /// <summary>"needs 4 vCPUs, 2 free" — or, when reservations hold what is free now, how much they hold.</summary>
    public static string Explain(int need, string unit, double usable, int allocated, int committed, bool preemptible)
    {
        var freeNow = Math.Max(0, usable - allocated);
        if (preemptible || allocated + need > usable) return $"needs {need} {unit}, {freeNow:0.##} free";
        return $"needs {need} {unit}, {Math.Max(0, usable - committed):0.##} free beside reservations ({freeNow:0.##} free now)";
    }
}

/// <summary>The CPU model and every CPU feature the image and flavor require (e.g. avx2, aes for a crypto workload).</summary>
public readonly struct CpuFeaturesFilter : IHostFilter
{
    public int Keep(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, List<Elimination>? eliminated) =>
        FilterLoop.Keep(this, hosts, idx, count, request, eliminated);

    public string Name => FilterNames.CpuFeatures;
    public bool AppliesTo(PlacementRequest r) => r.RequiredCpuModel is not null || r.RequiredCpuFeatures.Length > 0;

    public bool Passes(HostCandidate host, PlacementRequest r)
    {
        if (r.RequiredCpuModel is { } model && !string.Equals(host.CpuModel, model, StringComparison.OrdinalIgnoreCase)) return false;
        foreach (var feature in r.RequiredCpuFeatures)
            if (!host.CpuFeatures.Contains(feature)) return false;   // case-insensitive: the host's set ignores case
        return true;
    }

    public string Explain(HostCandidate host, PlacementRequest r)
    {
        if (r.RequiredCpuModel is { } model && !string.Equals(host.CpuModel, model, StringComparison.OrdinalIgnoreCase))
            return $"CPU model is '{host.CpuModel ?? "unknown"}', needs '{model}'";
        return $"CPU lacks {string.Join(", ", r.RequiredCpuFeatures.Where(f => !host.CpuFeatures.Contains(f)).Order(StringComparer.Ordinal))}";
    }
}

/// <summary>Required traits must all be present, forbidden ones all absent (Placement's required/forbidden traits).</summary>
public readonly struct TraitsFilter : IHostFilter
{
    public int Keep(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, List<Elimination>? eliminated) =>
        FilterLoop.Keep(this, hosts, idx, count, request, eliminated);

    public string Name => FilterNames.Traits;
    public bool AppliesTo(PlacementRequest r) => r.RequiredTraits.Length > 0 || r.ForbiddenTraits.Length > 0;

    public bool Passes(HostCandidate host, PlacementRequest r)
    {
        foreach (var trait in r.RequiredTraits)
            if (!host.Traits.Contains(trait)) return false;
        foreach (var trait in r.ForbiddenTraits)
            if (host.Traits.Contains(trait)) return false;
        return true;
    }

    public string Explain(HostCandidate host, PlacementRequest r)
    {
        var missing = r.RequiredTraits.Where(t => !host.Traits.Contains(t)).Order(StringComparer.Ordinal).ToList();
        return missing.Count > 0
            ? $"lacks trait {string.Join(", ", missing)}"
            : $"has forbidden trait {string.Join(", ", r.ForbiddenTraits.Where(host.Traits.Contains).Order(StringComparer.Ordinal))}";
    }
}

/// <summary>Hard affinity: once the group has a member, every member goes to that member's host.</summary>
public readonly struct AffinityFilter : IHostFilter
{
    public int Keep(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, List<Elimination>? eliminated) =>
        FilterLoop.Keep(this, hosts, idx, count, request, eliminated);

    public string Name => FilterNames.Affinity;
    public bool AppliesTo(PlacementRequest r) => r.Group is { Policy: ServerGroupPolicy.Affinity } g && g.TotalMembers > 0;
    public bool Passes(HostCandidate host, PlacementRequest r) => r.Group!.MembersOn(host.Id) > 0;
    public string Explain(HostCandidate host, PlacementRequest r) => "the affinity group's members run on another host";
}

/// <summary>Hard anti-affinity: at most <c>maxPerHost</c> (default 1) members of the group per host.</summary>
public readonly struct AntiAffinityFilter : IHostFilter
{
    public int Keep(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, List<Elimination>? eliminated) =>
        FilterLoop.Keep(this, hosts, idx, count, request, eliminated);

    public string Name => FilterNames.AntiAffinity;
    public bool AppliesTo(PlacementRequest r) => r.Group is { Policy: ServerGroupPolicy.AntiAffinity } g && g.TotalMembers > 0;
    public bool Passes(HostCandidate host, PlacementRequest r) => r.Group!.MembersOn(host.Id) < (r.Group.MaxPerHost ?? 1);
    public string Explain(HostCandidate host, PlacementRequest r) =>
        $"holds {r.Group!.MembersOn(host.Id)} member(s) of the anti-affinity group (max {r.Group.MaxPerHost ?? 1})";
}

/// <summary>The cloud-wide cap on instances per host (Nova's NumInstancesFilter).</summary>
public readonly struct MaxPerHostFilter : IHostFilter
{
    public int Keep(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, List<Elimination>? eliminated) =>
        FilterLoop.Keep(this, hosts, idx, count, request, eliminated);

    public string Name => FilterNames.MaxPerHost;
    public bool AppliesTo(PlacementRequest r) => r.MaxInstancesPerHost > 0;
    public bool Passes(HostCandidate host, PlacementRequest r) => host.InstanceCount < r.MaxInstancesPerHost;
    public string Explain(HostCandidate host, PlacementRequest r) => $"holds {host.InstanceCount} instances (max {r.MaxInstancesPerHost})";
}
