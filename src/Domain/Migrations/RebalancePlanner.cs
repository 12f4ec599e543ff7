using IaasApi.Domain.Common;

namespace IaasApi.Domain.Migrations;

/// <summary>A rebalancing dry run: the moves, the imbalance before and after, and how long the batch would take.</summary>
public sealed record RebalancePlan(IReadOnlyList<PlannedMove> Moves, double ImbalanceBefore, double ImbalanceAfter, double EstimatedTotalMs,
                                   IReadOnlyDictionary<Guid, double> LoadBefore, IReadOnlyDictionary<Guid, double> LoadAfter);

/// <summary>
/// Rebalancing (DRS-like). A host's load is its dominant share: the largest of allocated ÷ usable over vCPUs, memory
/// and disk. The imbalance is the standard deviation of the hosts' loads (DRS's "current host load standard
/// deviation"). Greedy, like DRS's: while the imbalance is above the target, take the move — any movable instance to
/// any other host it fits on — that lowers the imbalance most (ties: the shorter migration); stop when the target is
/// met, no move helps, or the move budget is spent. Each instance moves at most once, and only where
/// <see cref="MoveRules"/> allow (its own filters, anti-affinity, the per-host cap), counted as the moves so far leave
/// the hosts. A candidate is scored in O(1) from the running sum and sum of squares of the loads.
/// </summary>
public static class RebalancePlanner
{
    public static RebalancePlan Plan(IReadOnlyList<PlannerHost> hosts, double targetImbalance, int maxMoves, int parallelMigrations,
                                     MoveRules? rules = null)
    {
        rules ??= MoveRules.None;
        foreach (var h in hosts)
        {
            foreach (var i in h.Instances) rules.Place(i.GroupId, h.Id);
            foreach (var group in h.Staying ?? []) rules.Place(group, h.Id);
        }
        var n = hosts.Count;
        var used = hosts.Select(h => h.Instances.Aggregate(h.Pinned, (sum, i) => sum + i.Demand)).ToArray();
        var load = hosts.Select((h, k) => Load(used[k], h.Usable)).ToArray();
        var before = StdDev(load);
        var loadBefore = hosts.Select((h, k) => (h.Id, load[k])).ToDictionary(p => p.Id, p => p.Item2);
        var moved = new HashSet<Guid>();
        var moves = new List<PlannedMove>();
        var current = before;

        var sum = load.Sum();
        var squares = load.Sum(l => l * l);
        while (n > 1 && current > targetImbalance && moves.Count < maxMoves)
        {
            (PlannerInstance Instance, int From, int To, double Imbalance)? best = null;
            for (var from = 0; from < n; from++)
            {
                foreach (var instance in hosts[from].Instances)
                {
                    if (moved.Contains(instance.Id)) continue;
                    var fromLoad = Load(used[from] - instance.Demand, hosts[from].Usable);
                    for (var to = 0; to < n; to++)
                    {
                        if (to == from || !Fits(used[to] + instance.Demand, hosts[to].Usable)) continue;
                        if (!rules.AllowsMove(instance, hosts[from].Id, hosts[to].Id)) continue;
                        var toLoad = Load(used[to] + instance.Demand, hosts[to].Usable);
                        var s1 = sum - load[from] - load[to] + fromLoad + toLoad;
                        var s2 = squares - load[from] * load[from] - load[to] * load[to] + fromLoad * fromLoad + toLoad * toLoad;
                        var imbalance = Math.Sqrt(Math.Max(0, s2 / n - (s1 / n) * (s1 / n)));
                        if (imbalance >= current - 1e-9) continue;
                        if (best is null || imbalance < best.Value.Imbalance - 1e-12
                            || (Math.Abs(imbalance - best.Value.Imbalance) <= 1e-12 && instance.MigrationMs < best.Value.Instance.MigrationMs))
                            best = (instance, from, to, imbalance);
                    }
                }
            }
            if (best is not { } chosen) break;
            var src = chosen.From;
            sum -= load[src] + load[chosen.To];
            squares -= load[src] * load[src] + load[chosen.To] * load[chosen.To];
            used[src] -= chosen.Instance.Demand;
            used[chosen.To] += chosen.Instance.Demand;
            load[src] = Load(used[src], hosts[src].Usable);
            load[chosen.To] = Load(used[chosen.To], hosts[chosen.To].Usable);
            sum += load[src] + load[chosen.To];
            squares += load[src] * load[src] + load[chosen.To] * load[chosen.To];
            rules.Remove(chosen.Instance.GroupId, hosts[src].Id);
            rules.Place(chosen.Instance.GroupId, hosts[chosen.To].Id);
            moved.Add(chosen.Instance.Id);
            moves.Add(new PlannedMove(chosen.Instance.Id, hosts[src].Id, hosts[chosen.To].Id, chosen.Instance.MigrationMs));
            current = StdDev(load);
        }

        var (_, total) = MigrationBatch.LongestFirst(moves.Select(m => (m, m.MigrationMs)), parallelMigrations);
        var loadAfter = hosts.Select((h, k) => (h.Id, load[k])).ToDictionary(p => p.Id, p => p.Item2);
        return new RebalancePlan(moves, before, StdDev(load), total, loadBefore, loadAfter);
    }

    /// <summary>The dominant share of <paramref name="used"/> in <paramref name="usable"/> (vCPUs, memory, disk).</summary>
    public static double Load(Resources used, Resources usable) =>
        Math.Max(Share(used.Vcpus, usable.Vcpus), Math.Max(Share(used.MemoryMiB, usable.MemoryMiB), Share(used.DiskGiB, usable.DiskGiB)));

    public static double StdDev(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return 0;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count);
    }

    private static double Share(int used, int usable) => usable > 0 ? (double)used / usable : used > 0 ? double.PositiveInfinity : 0;

    private static bool Fits(Resources used, Resources usable) =>
        used.Vcpus <= usable.Vcpus && used.MemoryMiB <= usable.MemoryMiB && used.DiskGiB <= usable.DiskGiB && used.NetworkMbps <= usable.NetworkMbps;
}
