namespace IaasApi.Domain.Placement;

/// <summary>One filter's effect: how many hosts went in, how many came out, and which were dropped.</summary>
public sealed record FilterStep(string Filter, int Before, int After, IReadOnlyList<Guid> EliminatedHostIds);

public sealed record RankedHost(HostCandidate Host, double Score);

public sealed record PlacementResult(IReadOnlyList<RankedHost> Ranked, IReadOnlyList<FilterStep> Trace)
{
    public bool Found => Ranked.Count > 0;
}

/// <summary>
/// Nova's scheduler shape, pure: filters in configured order (stopping at zero, with a per-filter trace), then
/// weighers normalised to [0,1] × the profile's multiplier, then a ranking with ties broken by id.
/// </summary>
public sealed class PlacementPipeline(IReadOnlyList<IHostFilter> filters, IReadOnlyList<IHostWeigher> weighers)
{
    public static PlacementPipeline Default { get; } = new(
        [new ZoneFilter(), new HostStateFilter(), new HypervisorFilter(), new VcpusFilter(), new MemoryFilter(), new DiskFilter(), new NetworkFilter()],
        [new FreeMemoryWeigher()]);

    public IReadOnlyList<IHostFilter> Filters => filters;

    public PlacementResult Rank(PlacementRequest request, IReadOnlyList<HostCandidate> hosts)
    {
        var trace = new List<FilterStep>(filters.Count);
        var remaining = new List<HostCandidate>(hosts.Count);
        foreach (var h in hosts)
            if (!request.ExcludedHosts.Contains(h.Id)) remaining.Add(h);

        foreach (var filter in filters)
        {
            var before = remaining.Count;
            var eliminated = new List<Guid>();
            remaining.RemoveAll(h =>
            {
                if (filter.Passes(h, request)) return false;
                eliminated.Add(h.Id);
                return true;
            });
            trace.Add(new FilterStep(filter.Name, before, remaining.Count, eliminated));
            if (remaining.Count == 0) return new PlacementResult([], trace);
        }

        var profile = PlacementProfile.For(request.Strategy);
        var scores = new double[remaining.Count];
        var raw = new double[remaining.Count];
        foreach (var weigher in weighers)
        {
            var multiplier = profile.Multiplier(weigher.Name);
            if (multiplier == 0) continue;
            double min = double.MaxValue, max = double.MinValue;
            for (var i = 0; i < remaining.Count; i++)
            {
                raw[i] = weigher.Weigh(remaining[i], request);
                min = Math.Min(min, raw[i]);
                max = Math.Max(max, raw[i]);
            }
            // Min-max normalisation; all-equal values contribute nothing (nova/weights.py).
            if (max > min)
                for (var i = 0; i < remaining.Count; i++)
                    scores[i] += multiplier * (raw[i] - min) / (max - min);
        }

        var ranked = new RankedHost[remaining.Count];
        for (var i = 0; i < remaining.Count; i++) ranked[i] = new RankedHost(remaining[i], scores[i]);
        Array.Sort(ranked, static (a, b) =>
        {
            var byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : a.Host.Id.CompareTo(b.Host.Id);
        });
        return new PlacementResult(ranked, trace);
    }
}
