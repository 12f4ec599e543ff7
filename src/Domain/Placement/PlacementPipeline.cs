using System.Buffers;

namespace IaasApi.Domain.Placement;

/// <summary>Why one host was eliminated (detailed traces only: admins and previews).</summary>
public sealed record Elimination(Guid HostId, string HostName, string Reason);

/// <summary>One filter's effect: how many hosts went in and came out; in a detailed trace, which were dropped and why.</summary>
public sealed record FilterStep(string Filter, int Before, int After)
{
    public IReadOnlyList<Elimination>? Eliminated { get; init; }
}

/// <summary>One weigher's part in a host's score: raw value, normalised to [0,1], times the profile's multiplier.</summary>
public sealed record WeigherScore(string Weigher, double Raw, double Normalized, double Multiplier)
{
    public double Contribution => Normalized * Multiplier;
}

public sealed record RankedHost(HostCandidate Host, double Score)
{
    /// <summary>Per-weigher contributions (detailed results only).</summary>
    public IReadOnlyList<WeigherScore>? Weights { get; init; }
}

public sealed record PlacementResult(IReadOnlyList<RankedHost> Ranked, IReadOnlyList<FilterStep> Trace, int Candidates)
{
    public bool Found => Ranked.Count > 0;
}

/// <summary>
/// Nova's scheduler shape, pure: filters in configured order (each skipped when the request asks nothing of it,
/// stopping at zero hosts, with a per-filter trace), then weighers min-max normalised to [0,1] × the profile's
/// multiplier, then the best <c>top</c> hosts by score, ties broken by host id.
/// The hot path works on index arrays rented from the shared pool: no per-request copies of the host list, and a
/// partial selection instead of a full sort when only a few alternates are wanted.
/// </summary>
public sealed class PlacementPipeline
{
    private readonly IHostFilter[] _filters;
    private readonly IHostWeigher[] _weighers;

    public PlacementPipeline(IEnumerable<IHostFilter> filters, IEnumerable<IHostWeigher> weighers)
    {
        _filters = filters.ToArray();
        _weighers = weighers.ToArray();
    }

    public static IReadOnlyList<IHostFilter> AllFilters { get; } =
    [
        new ZoneFilter(), new HostStateFilter(), new HypervisorFilter(), new VcpusFilter(), new MemoryFilter(), new DiskFilter(),
        new NetworkFilter(), new CpuFeaturesFilter(), new TraitsFilter(), new AffinityFilter(), new AntiAffinityFilter(), new MaxPerHostFilter(),
    ];

    public static IReadOnlyList<IHostWeigher> AllWeighers { get; } =
    [
        new FreeMemoryWeigher(), new FreeVcpusWeigher(), new FreeDiskWeigher(), new DominantResourceFitWeigher(), new FillWeigher(),
        new InstanceCountWeigher(), new SoftAffinityWeigher(), new SoftAntiAffinityWeigher(),
    ];

    public static PlacementPipeline Default { get; } = new(AllFilters, AllWeighers);

    /// <summary>The pipeline with the filters in the given order (names from <see cref="FilterNames"/>; a filter left out is off).</summary>
    public static PlacementPipeline WithFilterOrder(IReadOnlyList<string> names)
    {
        var byName = AllFilters.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var unknown = names.Where(n => !byName.ContainsKey(n)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown placement filter(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", byName.Keys)}.");
        return new PlacementPipeline(names.Distinct(StringComparer.Ordinal).Select(n => byName[n]), AllWeighers);
    }

    public IReadOnlyList<IHostFilter> Filters => _filters;
    public IReadOnlyList<IHostWeigher> Weighers => _weighers;

    /// <param name="request">What is being placed.</param>
    /// <param name="hosts">The host snapshot (not copied, not modified).</param>
    /// <param name="top">How many ranked hosts to return (the claim needs a few alternates; a preview may want all).</param>
    /// <param name="detailed">Also record which hosts each filter eliminated and why, and each weigher's contribution.</param>
    public PlacementResult Rank(PlacementRequest request, IReadOnlyList<HostCandidate> hosts, int top = int.MaxValue, bool detailed = false)
    {
        var total = hosts.Count;
        var idx = ArrayPool<int>.Shared.Rent(Math.Max(1, total));
        try
        {
            var count = 0;
            if (request.ExcludedHosts.Count == 0)
                for (var i = 0; i < total; i++) idx[count++] = i;
            else
                for (var i = 0; i < total; i++)
                    if (!request.ExcludedHosts.Contains(hosts[i].Id)) idx[count++] = i;

            var trace = new FilterStep[_filters.Length];
            var steps = 0;
            foreach (var filter in _filters)
            {
                var before = count;
                List<Elimination>? eliminated = detailed ? [] : null;
                if (filter.AppliesTo(request))
                {
                    var kept = 0;
                    for (var j = 0; j < count; j++)
                    {
                        var host = hosts[idx[j]];
                        if (filter.Passes(host, request)) idx[kept++] = idx[j];
                        else eliminated?.Add(new Elimination(host.Id, host.Name, filter.Explain(host, request)));
                    }
                    count = kept;
                }
                trace[steps++] = new FilterStep(filter.Name, before, count) { Eliminated = eliminated };
                if (count == 0) return new PlacementResult([], trace[..steps], 0);
            }
            return new PlacementResult(Weigh(request, hosts, idx, count, Math.Min(top, count), detailed), trace, count);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(idx);
        }
    }

    private List<RankedHost> Weigh(PlacementRequest request, IReadOnlyList<HostCandidate> hosts, int[] idx, int count, int top, bool detailed)
    {
        var profile = PlacementProfile.For(request.Strategy);
        var active = _weighers.Where(w => profile.Multiplier(w.Name) != 0 && w.AppliesTo(request)).ToArray();
        var scores = ArrayPool<double>.Shared.Rent(count);
        var raw = ArrayPool<double>.Shared.Rent(count);
        var rawByWeigher = detailed ? new double[active.Length][] : null;
        var ranges = new (double Min, double Max)[active.Length];
        try
        {
            Array.Clear(scores, 0, count);
            for (var w = 0; w < active.Length; w++)
            {
                var weigher = active[w];
                double min = double.MaxValue, max = double.MinValue;
                for (var j = 0; j < count; j++)
                {
                    var value = weigher.Weigh(hosts[idx[j]], request);
                    raw[j] = value;
                    if (value < min) min = value;
                    if (value > max) max = value;
                }
                ranges[w] = (min, max);
                if (rawByWeigher is not null) rawByWeigher[w] = raw[..count];
                if (max <= min) continue;                                   // all equal: contributes nothing (nova/weights.py)
                var scale = profile.Multiplier(weigher.Name) / (max - min);
                for (var j = 0; j < count; j++) scores[j] += (raw[j] - min) * scale;
            }

            var best = SelectTop(hosts, idx, scores, count, top);
            var ranked = new List<RankedHost>(best.Length);
            foreach (var j in best)
            {
                IReadOnlyList<WeigherScore>? weights = null;
                if (rawByWeigher is not null)
                {
                    var parts = new WeigherScore[active.Length];
                    for (var w = 0; w < active.Length; w++)
                    {
                        var (min, max) = ranges[w];
                        var value = rawByWeigher[w][j];
                        parts[w] = new WeigherScore(active[w].Name, value, max > min ? (value - min) / (max - min) : 0,
                            profile.Multiplier(active[w].Name));
                    }
                    weights = parts;
                }
                ranked.Add(new RankedHost(hosts[idx[j]], scores[j]) { Weights = weights });
            }
            return ranked;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scores);
            ArrayPool<double>.Shared.Return(raw);
        }
    }

    /// <summary>
    /// Positions (into idx/scores) of the best <paramref name="top"/> candidates, best first: score descending, then
    /// host id ascending. A bounded insertion buffer: O(n) for the usual handful of alternates, no full sort.
    /// </summary>
    private static int[] SelectTop(IReadOnlyList<HostCandidate> hosts, int[] idx, double[] scores, int count, int top)
    {
        if (top > 64)
        {
            // Many wanted (a preview): a full sort is cheaper than insertion.
            var all = Enumerable.Range(0, count).ToArray();
            Array.Sort(all, (a, b) => Better(a, b) ? -1 : Better(b, a) ? 1 : 0);
            return all[..top];
        }
        var best = new int[top];
        var filled = 0;
        for (var j = 0; j < count; j++)
        {
            if (filled == top && !Better(j, best[top - 1])) continue;
            var pos = filled < top ? filled++ : top - 1;
            while (pos > 0 && Better(j, best[pos - 1]))
            {
                best[pos] = best[pos - 1];
                pos--;
            }
            best[pos] = j;
        }
        return best;

        bool Better(int a, int b) =>
            scores[a] > scores[b] || (scores[a] == scores[b] && hosts[idx[a]].Id.CompareTo(hosts[idx[b]].Id) < 0);
    }
}
