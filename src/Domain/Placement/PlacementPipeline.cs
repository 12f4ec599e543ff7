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
        new ZoneFilter(), new HostStateFilter(), new HypervisorFilter(), new CapacityFilter<Vcpus>(), new CapacityFilter<Memory>(), new CapacityFilter<Disk>(),
        new CapacityFilter<Network>(), new CpuFeaturesFilter(), new TraitsFilter(), new AffinityFilter(), new AntiAffinityFilter(), new MaxPerHostFilter(),
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
    public PlacementResult Rank(PlacementRequest request, IReadOnlyList<HostCandidate> list, int top = int.MaxValue, bool detailed = false)
    {
        // Read every slot exactly once: the snapshot may replace a host's entry while we decide, and the host that
        // passed the filters must be the one we return (its configuration version is what the claim checks).
        var total = list.Count;
        var hosts = ArrayPool<HostCandidate>.Shared.Rent(Math.Max(1, total));
        if (list is HostCandidate[] array) Array.Copy(array, hosts, total);
        else for (var i = 0; i < total; i++) hosts[i] = list[i];
        var partitions = detailed || total < ParallelThreshold ? 1 : Math.Max(1, Parallelism);
        var profile = PlacementProfile.For(request.Strategy);
        var weighers = _weighers.Where(w => profile.Multiplier(w.Name) != 0 && w.AppliesTo(request)).ToArray();
        var parts = new Partition[partitions];
        try
        {
            // Phase 1, per partition (in parallel for large clouds): filters, then every weigher's raw values.
            Run(partitions, p =>
            {
                var from = (int)((long)total * p / partitions);
                var to = (int)((long)total * (p + 1) / partitions);
                parts[p] = Partition.Filter(_filters, weighers, request, hosts, from, to, detailed);
            });

            var trace = new List<FilterStep>(_filters.Length);
            for (var f = 0; f < _filters.Length; f++)
            {
                int before = 0, after = 0;
                List<Elimination>? eliminated = detailed ? [] : null;
                foreach (var part in parts)
                {
                    before += part.Before[f];
                    after += part.After[f];
                    if (eliminated is not null && part.Eliminated?[f] is { } e) eliminated.AddRange(e);
                }
                trace.Add(new FilterStep(_filters[f].Name, before, after) { Eliminated = eliminated });
                if (after == 0) return new PlacementResult([], trace, 0);
            }

            // Min-max normalisation needs every partition's range; then phase 2: scores and each partition's best.
            var min = new double[weighers.Length];
            var max = new double[weighers.Length];
            for (var w = 0; w < weighers.Length; w++)
            {
                min[w] = parts.Min(x => x.Count > 0 ? x.Min[w] : double.MaxValue);
                max[w] = parts.Max(x => x.Count > 0 ? x.Max[w] : double.MinValue);
            }
            var scale = new double[weighers.Length];
            for (var w = 0; w < weighers.Length; w++)
                scale[w] = max[w] > min[w] ? profile.Multiplier(weighers[w].Name) / (max[w] - min[w]) : 0;   // all equal: contributes nothing
            var candidates = parts.Sum(x => x.Count);
            var wanted = Math.Min(top, candidates);
            Run(partitions, p => parts[p].Score(hosts, min, scale, wanted));

            var best = parts.SelectMany(x => x.Best.Select(j => (Part: x, J: j))).ToList();
            best.Sort((a, b) => Compare(hosts, a.Part, a.J, b.Part, b.J));
            var ranked = new List<RankedHost>(wanted);
            foreach (var (part, j) in best.Take(wanted))
            {
                IReadOnlyList<WeigherScore>? weights = null;
                if (detailed)
                {
                    var list2 = new WeigherScore[weighers.Length];
                    for (var w = 0; w < weighers.Length; w++)
                    {
                        var value = part.Raw[w * part.Count + j];
                        list2[w] = new WeigherScore(weighers[w].Name, value, max[w] > min[w] ? (value - min[w]) / (max[w] - min[w]) : 0,
                            profile.Multiplier(weighers[w].Name));
                    }
                    weights = list2;
                }
                ranked.Add(new RankedHost(hosts[part.Idx[j]], part.Scores[j]) { Weights = weights });
            }
            return new PlacementResult(ranked, trace, candidates);
        }
        finally
        {
            foreach (var part in parts) part?.Dispose();
            Array.Clear(hosts, 0, total);
            ArrayPool<HostCandidate>.Shared.Return(hosts);
        }
    }

    /// <summary>Hosts at which a decision is split across cores (small clouds are faster on one).</summary>
    public int ParallelThreshold { get; init; } = 4096;

    /// <summary>How many partitions a large decision is split into (default: one per core).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    private static void Run(int partitions, Action<int> body)
    {
        if (partitions == 1) body(0);
        else Parallel.For(0, partitions, new ParallelOptions { MaxDegreeOfParallelism = partitions }, body);
    }

    private static int Compare(HostCandidate[] hosts, Partition pa, int a, Partition pb, int b)
    {
        var byScore = pb.Scores[b].CompareTo(pa.Scores[a]);
        return byScore != 0 ? byScore : hosts[pa.Idx[a]].Id.CompareTo(hosts[pb.Idx[b]].Id);
    }

    /// <summary>One slice of the host array: its surviving indices, raw weigher values, scores and best few.</summary>
    private sealed class Partition : IDisposable
    {
        public int[] Idx = [];
        public int Count;
        public int[] Before = [];
        public int[] After = [];
        public List<Elimination>?[]? Eliminated;
        public double[] Raw = [];
        public double[] Min = [];
        public double[] Max = [];
        public double[] Scores = [];
        public int[] Best = [];
        private int _weighers;

        public static Partition Filter(IHostFilter[] filters, IHostWeigher[] weighers, PlacementRequest request, HostCandidate[] hosts,
                                       int from, int to, bool detailed)
        {
            var part = new Partition
            {
                Idx = ArrayPool<int>.Shared.Rent(Math.Max(1, to - from)),
                Before = new int[filters.Length],
                After = new int[filters.Length],
                Eliminated = detailed ? new List<Elimination>?[filters.Length] : null,
                Min = new double[weighers.Length],
                Max = new double[weighers.Length],
                _weighers = weighers.Length,
            };
            var count = 0;
            if (request.ExcludedHosts.Count == 0)
                for (var i = from; i < to; i++) part.Idx[count++] = i;
            else
                for (var i = from; i < to; i++)
                    if (!request.ExcludedHosts.Contains(hosts[i].Id)) part.Idx[count++] = i;

            // Filter-major: each filter compacts the surviving indices in one specialised loop (IHostFilter.Keep).
            for (var f = 0; f < filters.Length; f++)
            {
                part.Before[f] = count;
                if (count > 0 && filters[f].AppliesTo(request))
                {
                    List<Elimination>? eliminated = detailed ? [] : null;
                    count = filters[f].Keep(hosts, part.Idx, count, request, eliminated);
                    if (part.Eliminated is not null) part.Eliminated[f] = eliminated;
                }
                part.After[f] = count;
            }
            part.Count = count;

            // raw[w * count + j]: each weigher fills its row in one specialised loop (IHostWeigher.WeighAll).
            part.Raw = ArrayPool<double>.Shared.Rent(Math.Max(1, count * weighers.Length));
            for (var w = 0; w < weighers.Length; w++)
                (part.Min[w], part.Max[w]) = count == 0 ? (double.MaxValue, double.MinValue)
                    : weighers[w].WeighAll(hosts, part.Idx, count, request, part.Raw.AsSpan(w * count, count));
            return part;
        }

        public void Score(HostCandidate[] hosts, double[] min, double[] scale, int top)
        {
            Scores = ArrayPool<double>.Shared.Rent(Math.Max(1, Count));
            Array.Clear(Scores, 0, Count);
            for (var w = 0; w < _weighers; w++)
            {
                if (scale[w] == 0) continue;
                var offset = w * Count;
                for (var j = 0; j < Count; j++) Scores[j] += (Raw[offset + j] - min[w]) * scale[w];
            }
            Best = SelectTop(hosts, Idx, Scores, Count, Math.Min(top, Count));
        }

        public void Dispose()
        {
            if (Idx.Length > 0) ArrayPool<int>.Shared.Return(Idx);
            if (Raw.Length > 0) ArrayPool<double>.Shared.Return(Raw);
            if (Scores.Length > 0) ArrayPool<double>.Shared.Return(Scores);
        }
    }

    /// <summary>
    /// Positions (into idx/scores) of the best <paramref name="top"/> candidates, best first: score descending, then
    /// host id ascending. A bounded insertion buffer: O(n) for the usual handful of alternates, no full sort.
    /// </summary>
    private static int[] SelectTop(HostCandidate[] hosts, int[] idx, double[] scores, int count, int top)
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
