using IaasApi.Domain.Common;

namespace IaasApi.Domain.Migrations;

/// <summary>
/// A host as the planners see it: what it may hand out, the instances on it that may move, and what it holds that may
/// not (<paramref name="Pinned"/>: instances in reservation slots, changing state, or in an affinity group), with the
/// server group (or null) of each of those staying instances (<paramref name="Staying"/>: they count for the rules).
/// </summary>
public sealed record PlannerHost(Guid Id, Resources Usable, IReadOnlyList<PlannerInstance> Instances, Resources Pinned = default,
                                 IReadOnlyList<Guid?>? Staying = null);

/// <summary>An instance that may move: its demand, its predicted migration time, its hard anti-affinity group (if any) and
/// the hosts its own placement filters accept (null: any).</summary>
public sealed record PlannerInstance(Guid Id, Resources Demand, double MigrationMs, Guid? GroupId = null, IReadOnlySet<Guid>? Targets = null);

public sealed record PlannedMove(Guid InstanceId, Guid From, Guid To, double MigrationMs);

/// <summary>A dry run: which instances move where, which hosts end up empty (to power off), and how long the batch takes.</summary>
public sealed record ConsolidationPlan(IReadOnlyList<PlannedMove> Moves, IReadOnlyList<Guid> FreedHosts, double EstimatedTotalMs);

/// <summary>
/// Consolidation (DPM-like): pack the instances onto as few hosts as first-fit-decreasing would, moving as few as it
/// can. The bins are the hosts themselves, the fullest first, so the hosts that stay on are those that already hold
/// most; each instance, largest first (by its dominant share), goes to its own host if that host stays on and it
/// fits, else to the first host that does. A host nothing is assigned to is freed. Every move is checked against
/// the capacity left on its target in every resource and against <see cref="MoveRules"/> (the instance's own filters,
/// anti-affinity, the per-host cap), so the plan holds only moves placement will accept.
/// </summary>
public static class ConsolidationPlanner
{
    public static ConsolidationPlan Plan(IReadOnlyList<PlannerHost> hosts, int parallelMigrations, MoveRules? rules = null)
    {
        rules ??= MoveRules.None;
        var bins = hosts.OrderByDescending(h => Load(h)).ThenBy(h => h.Id).ToList();
        var homeOf = hosts.SelectMany(h => h.Instances.Select(i => (i.Id, h.Id))).ToDictionary(p => p.Item1, p => p.Item2);
        var instances = hosts.SelectMany(h => h.Instances).OrderByDescending(i => Share(i.Demand, hosts)).ThenBy(i => i.Id).ToList();

        // First fit decreasing over the hosts fullest-first decides how many stay on: the smallest prefix that takes everything.
        var kept = bins.Count;
        Dictionary<Guid, Guid>? assignment = null;
        for (var n = 1; n <= bins.Count && assignment is null; n++)
        {
            // Staying home moves fewer; plain first fit packs at least as tight: whichever fits n hosts first.
            var prefix = bins.Take(n).ToList();
            assignment = Assign(prefix, instances, homeOf, preferHome: true, Staying(hosts, rules))
                         ?? Assign(prefix, instances, homeOf, preferHome: false, Staying(hosts, rules));
            kept = n;
        }
        assignment ??= instances.ToDictionary(i => i.Id, i => homeOf[i.Id]);

        var moves = instances.Where(i => assignment[i.Id] != homeOf[i.Id])
            .Select(i => new PlannedMove(i.Id, homeOf[i.Id], assignment[i.Id], i.MigrationMs)).ToList();
        var freed = bins.Skip(kept).Select(h => h.Id).ToList();
        var (_, total) = MigrationBatch.LongestFirst(moves.Select(m => (m, m.MigrationMs)), parallelMigrations);
        return new ConsolidationPlan(moves, freed, total);
    }

    /// <summary>Hosts freed by plain first-fit-decreasing from scratch (the quality bar): all hosts minus the bins it uses.</summary>
    public static int FirstFitDecreasingFreed(IReadOnlyList<PlannerHost> hosts)
    {
        var free = hosts.Select(h => h.Usable).ToArray();
        var used = new bool[free.Length];
        foreach (var i in hosts.SelectMany(h => h.Instances).OrderByDescending(i => Share(i.Demand, hosts)))
            for (var b = 0; b < free.Length; b++)
                if (Fits(i.Demand, free[b])) { free[b] -= i.Demand; used[b] = true; break; }
        return used.Count(u => !u);
    }

    /// <summary>The rules with only the instances that stay counted (an assignment of the movable ones starts from there).</summary>
    private static MoveRules Staying(IReadOnlyList<PlannerHost> hosts, MoveRules rules)
    {
        var start = rules.Empty();
        foreach (var h in hosts)
            foreach (var group in h.Staying ?? [])
                start.Place(group, h.Id);
        return start;
    }

    /// <summary>
    /// Instance → host over <paramref name="on"/>, staying home where possible; null when something does not fit or no
    /// host the rules allow has room.
    /// </summary>
    private static Dictionary<Guid, Guid>? Assign(List<PlannerHost> on, List<PlannerInstance> instances, Dictionary<Guid, Guid> homeOf,
                                                  bool preferHome, MoveRules rules)
    {
        var free = on.ToDictionary(h => h.Id, h => h.Usable - h.Pinned);
        var result = new Dictionary<Guid, Guid>(instances.Count);
        foreach (var i in instances)
        {
            var home = homeOf[i.Id];
            Guid? to = preferHome && free.TryGetValue(home, out var left) && Fits(i.Demand, left) && rules.Allows(i, home) ? home : null;
            to ??= on.Select(h => (Guid?)h.Id).FirstOrDefault(id => Fits(i.Demand, free[id!.Value]) && rules.Allows(i, id.Value));
            if (to is not { } target) return null;
            free[target] -= i.Demand;
            rules.Place(i.GroupId, target);
            result[i.Id] = target;
        }
        return result;
    }

    private static bool Fits(Resources d, Resources free) =>
        d.Vcpus <= free.Vcpus && d.MemoryMiB <= free.MemoryMiB && d.DiskGiB <= free.DiskGiB && d.NetworkMbps <= free.NetworkMbps;

    private static double Load(PlannerHost h) =>
        h.Instances.Aggregate(Resources.Zero, (s, i) => s + i.Demand) is var sum ? Share(sum, h.Usable) : 0;

    private static double Share(Resources d, IReadOnlyList<PlannerHost> hosts) => Share(d, hosts.Count > 0 ? hosts[0].Usable : d);

    private static double Share(Resources d, Resources of) =>
        new[] { Ratio(d.Vcpus, of.Vcpus), Ratio(d.MemoryMiB, of.MemoryMiB), Ratio(d.DiskGiB, of.DiskGiB), Ratio(d.NetworkMbps, of.NetworkMbps) }.Max();

    private static double Ratio(int part, int whole) => whole <= 0 ? 0 : (double)part / whole;
}
