using IaasApi.Domain.ServerGroups;

namespace IaasApi.Domain.Placement;

/// <summary>
/// A raw preference for a host (Nova's BaseHostWeigher). The pipeline min-max normalises each weigher over the
/// surviving hosts and multiplies by the profile's multiplier, so weighers never need to agree on units.
/// Higher raw = more preferred when the multiplier is positive.
/// </summary>
public interface IHostWeigher
{
    string Name { get; }

    /// <summary>False when the weigher cannot tell hosts apart for this request (skipped: it would add 0 to all).</summary>
    bool AppliesTo(PlacementRequest request) => true;

    double Weigh(HostCandidate host, PlacementRequest request);

    /// <summary>
    /// Raw values of hosts[idx[0..count)] into raw[0..count), with their minimum and maximum (one pass). Built-ins
    /// specialise it like filters (see IHostFilter.Keep).
    /// </summary>
    (double Min, double Max) WeighAll(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, Span<double> raw)
    {
        double min = double.MaxValue, max = double.MinValue;
        for (var j = 0; j < count; j++)
        {
            var value = raw[j] = Weigh(hosts[idx[j]], request);
            if (value < min) min = value;
            if (value > max) max = value;
        }
        return (min, max);
    }
}

public static class WeigherLoop
{
    public static (double Min, double Max) WeighAll<T>(T weigher, HostCandidate[] hosts, int[] idx, int count, PlacementRequest request,
                                                       Span<double> raw)
        where T : struct, IHostWeigher
    {
        double min = double.MaxValue, max = double.MinValue;
        for (var j = 0; j < count; j++)
        {
            var value = raw[j] = weigher.Weigh(hosts[idx[j]], request);
            if (value < min) min = value;
            if (value > max) max = value;
        }
        return (min, max);
    }
}

public static class WeigherNames
{
    public const string FreeMemory = "free-memory";
    public const string FreeVcpus = "free-vcpus";
    public const string FreeDisk = "free-disk";
    public const string DominantResourceFit = "dominant-resource-fit";
    public const string SoftAffinity = "soft-affinity";
    public const string SoftAntiAffinity = "soft-anti-affinity";
    public const string InstanceCount = "instance-count";
    public const string Fill = "fill";
}

/// <summary>Free memory (MiB). Spread: emptiest first.</summary>
public readonly struct FreeMemoryWeigher : IHostWeigher
{
    public (double Min, double Max) WeighAll(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, Span<double> raw) =>
        WeigherLoop.WeighAll(this, hosts, idx, count, request, raw);

    public string Name => WeigherNames.FreeMemory;
    public double Weigh(HostCandidate host, PlacementRequest r) => host.FreeMemoryMiB;
}

/// <summary>Free vCPUs (after the allocation ratio).</summary>
public readonly struct FreeVcpusWeigher : IHostWeigher
{
    public (double Min, double Max) WeighAll(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, Span<double> raw) =>
        WeigherLoop.WeighAll(this, hosts, idx, count, request, raw);

    public string Name => WeigherNames.FreeVcpus;
    public double Weigh(HostCandidate host, PlacementRequest r) => host.FreeVcpus;
}

/// <summary>Free disk (GiB).</summary>
public readonly struct FreeDiskWeigher : IHostWeigher
{
    public (double Min, double Max) WeighAll(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, Span<double> raw) =>
        WeigherLoop.WeighAll(this, hosts, idx, count, request, raw);

    public string Name => WeigherNames.FreeDisk;
    public bool AppliesTo(PlacementRequest r) => r.Demand.DiskGiB > 0;
    public double Weigh(HostCandidate host, PlacementRequest r) => host.FreeDiskGiB;
}

/// <summary>
/// Best fit on the request's dominant resource: the resource this request takes the largest share of on that
/// host (its bottleneck there). The host where that resource is left tightest after the placement scores highest,
/// so hosts fill up on their bottleneck first and fewer hosts are left with one resource exhausted and others idle
/// (stranded capacity). Raw value: −(fraction of the dominant resource left free after placement).
/// </summary>
public readonly struct DominantResourceFitWeigher : IHostWeigher
{
    public (double Min, double Max) WeighAll(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, Span<double> raw) =>
        WeigherLoop.WeighAll(this, hosts, idx, count, request, raw);

    public string Name => WeigherNames.DominantResourceFit;

    public double Weigh(HostCandidate host, PlacementRequest r)
    {
        var d = r.Demand;
        double bestShare = -1, leftover = 1;
        Consider(d.Vcpus, host.UsableVcpus, host.FreeVcpus);
        Consider(d.MemoryMiB, host.UsableMemoryMiB, host.FreeMemoryMiB);
        Consider(d.DiskGiB, host.UsableDiskGiB, host.FreeDiskGiB);
        return -leftover;

        void Consider(int demand, double usable, double free)
        {
            if (usable <= 0 || demand <= 0) return;
            var share = demand / usable;
            if (share <= bestShare) return;
            bestShare = share;
            leftover = (free - demand) / usable;
        }
    }
}

/// <summary>How full the host already is (mean used fraction of vCPU, memory, disk): pack prefers the fullest.</summary>
public readonly struct FillWeigher : IHostWeigher
{
    public (double Min, double Max) WeighAll(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, Span<double> raw) =>
        WeigherLoop.WeighAll(this, hosts, idx, count, request, raw);

    public string Name => WeigherNames.Fill;

    public double Weigh(HostCandidate host, PlacementRequest r)
    {
        double sum = 0;
        var n = 0;
        Add(host.Allocated.Vcpus, host.UsableVcpus);
        Add(host.Allocated.MemoryMiB, host.UsableMemoryMiB);
        Add(host.Allocated.DiskGiB, host.UsableDiskGiB);
        return n == 0 ? 0 : sum / n;

        void Add(int allocated, double usable)
        {
            if (usable <= 0) return;
            sum += allocated / usable;
            n++;
        }
    }
}

/// <summary>Fewer instances scores higher: spread keeps failure domains small, pack (negative multiplier) stacks.</summary>
public readonly struct InstanceCountWeigher : IHostWeigher
{
    public (double Min, double Max) WeighAll(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, Span<double> raw) =>
        WeigherLoop.WeighAll(this, hosts, idx, count, request, raw);

    public string Name => WeigherNames.InstanceCount;
    public double Weigh(HostCandidate host, PlacementRequest r) => -host.InstanceCount;
}

/// <summary>Soft affinity: the more members of the group a host holds, the better.</summary>
public readonly struct SoftAffinityWeigher : IHostWeigher
{
    public (double Min, double Max) WeighAll(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, Span<double> raw) =>
        WeigherLoop.WeighAll(this, hosts, idx, count, request, raw);

    public string Name => WeigherNames.SoftAffinity;
    public bool AppliesTo(PlacementRequest r) => r.Group is { Policy: ServerGroupPolicy.SoftAffinity } g && g.TotalMembers > 0;
    public double Weigh(HostCandidate host, PlacementRequest r) => r.Group!.MembersOn(host.Id);
}

/// <summary>Soft anti-affinity: the fewer members of the group a host holds, the better.</summary>
public readonly struct SoftAntiAffinityWeigher : IHostWeigher
{
    public (double Min, double Max) WeighAll(HostCandidate[] hosts, int[] idx, int count, PlacementRequest request, Span<double> raw) =>
        WeigherLoop.WeighAll(this, hosts, idx, count, request, raw);

    public string Name => WeigherNames.SoftAntiAffinity;
    public bool AppliesTo(PlacementRequest r) => r.Group is { Policy: ServerGroupPolicy.SoftAntiAffinity } g && g.TotalMembers > 0;
    public double Weigh(HostCandidate host, PlacementRequest r) => -r.Group!.MembersOn(host.Id);
}
