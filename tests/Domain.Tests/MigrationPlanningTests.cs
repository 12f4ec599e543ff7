using IaasApi.Domain.Migrations;

namespace IaasApi.Domain.Tests;

/// <summary>Batch ordering: longest first keeps the total time of a batch low within the parallel limit.</summary>
public sealed class MigrationBatchTests
{
    [Fact]
    public void LongestFirst_BeatsArrivalOrder_AndStaysWithinFourThirdsOfTheBest()
    {
        double[] durations = [3, 3, 3, 4, 5];
        Assert.Equal(11, MigrationBatch.TotalMs(durations, 2));                     // as they came: the 5 starts last
        var (order, total) = MigrationBatch.LongestFirst(durations.Select((d, i) => (i, d)), 2);
        Assert.Equal([4, 3, 0, 1, 2], order);
        Assert.Equal(10, total);
        Assert.True(total <= 9 * 4.0 / 3);                                        // the best split is {5,4} | {3,3,3} = 9
        Assert.Equal(18, MigrationBatch.TotalMs(durations, 1));                   // one at a time: the sum
        Assert.Equal(5, MigrationBatch.TotalMs(durations, 10));                   // all at once: the longest
        Assert.Equal(0, MigrationBatch.TotalMs([], 2));
    }
}

/// <summary>Consolidation: at least as many hosts freed as first-fit-decreasing, every move within capacity.</summary>
public sealed class ConsolidationPlannerTests(ITestOutputHelper output)
{
    private static readonly IaasApi.Domain.Common.Resources Host = new(64, 262_144, 4_000, 10_000);

    [Theory]
    [InlineData(1, 0.15)]
    [InlineData(2, 0.35)]
    [InlineData(3, 0.60)]
    public void OnA100HostCloud_FreesAsManyHostsAsFirstFitDecreasing_WithEveryMoveWithinCapacity(int seed, double load)
    {
        var random = new Random(seed);
        IaasApi.Domain.Common.Resources[] sizes = [new(2, 4096, 40, 0), new(4, 8192, 80, 0), new(8, 32768, 160, 0), new(16, 65536, 320, 0)];
        var hosts = Enumerable.Range(0, 100).Select(_ =>
        {
            var used = IaasApi.Domain.Common.Resources.Zero;
            var instances = new List<PlannerInstance>();
            while (true)
            {
                var size = sizes[random.Next(sizes.Length)];
                var next = used + size;
                if (next.Vcpus > Host.Vcpus * load * 2 * random.NextDouble() || next.Vcpus > Host.Vcpus || next.MemoryMiB > Host.MemoryMiB) break;
                used = next;
                instances.Add(new PlannerInstance(Guid.NewGuid(), size, size.MemoryMiB / 2 / 1192.0 * 1000 + 20));
            }
            return new PlannerHost(Guid.NewGuid(), Host, instances);
        }).ToList();

        var plan = ConsolidationPlanner.Plan(hosts, 4);
        var ffd = ConsolidationPlanner.FirstFitDecreasingFreed(hosts);
        Assert.True(plan.FreedHosts.Count >= ffd, $"freed {plan.FreedHosts.Count} < FFD {ffd}");

        var after = hosts.ToDictionary(h => h.Id, h => h.Instances.Select(i => i.Id).ToHashSet());
        var demand = hosts.SelectMany(h => h.Instances).ToDictionary(i => i.Id, i => i.Demand);
        foreach (var m in plan.Moves)
        {
            Assert.True(after[m.From].Remove(m.InstanceId));
            after[m.To].Add(m.InstanceId);
        }
        foreach (var (id, on) in after)
        {
            var sum = on.Aggregate(IaasApi.Domain.Common.Resources.Zero, (s, i) => s + demand[i]);
            Assert.True(sum.Vcpus <= Host.Vcpus && sum.MemoryMiB <= Host.MemoryMiB && sum.DiskGiB <= Host.DiskGiB, $"host {id} over capacity");
        }
        Assert.All(plan.FreedHosts, id => Assert.Empty(after[id]));
        var total = hosts.Sum(h => h.Instances.Count);
        output.WriteLine($"100 hosts, {total} instances (load {load:P0}): {plan.FreedHosts.Count} hosts freed (FFD from scratch: {ffd}), " +
                         $"{plan.Moves.Count} migrations, estimated {plan.EstimatedTotalMs / 1000:F1} s at 4 at a time");
    }
}

/// <summary>Rebalancing: the imbalance (standard deviation of the hosts' dominant shares) falls to the target, every move fits.</summary>
public sealed class RebalancePlannerTests(ITestOutputHelper output)
{
    private static readonly IaasApi.Domain.Common.Resources Host = new(64, 262_144, 4_000, 10_000);
    private static readonly IaasApi.Domain.Common.Resources Vm = new(4, 16_384, 80, 0);

    private static PlannerHost HostWith(int vms, IaasApi.Domain.Common.Resources pinned = default) =>
        new(Guid.NewGuid(), Host, Enumerable.Range(0, vms).Select(k => new PlannerInstance(Guid.NewGuid(), Vm, 1000 + k)).ToList(), pinned);

    [Fact]
    public void SkewedHosts_AreSpreadUntilTheTargetIsMet_EachInstanceMovingOnce_WithinCapacity()
    {
        List<PlannerHost> hosts = [HostWith(14), HostWith(12), HostWith(2), HostWith(0)];          // loads .875 .75 .125 0
        var plan = RebalancePlanner.Plan(hosts, targetImbalance: 0.05, maxMoves: 100, parallelMigrations: 4);

        Assert.True(plan.ImbalanceBefore > 0.35);
        Assert.True(plan.ImbalanceAfter <= 0.05, $"after {plan.ImbalanceAfter}");
        Assert.Equal(plan.Moves.Count, plan.Moves.Select(m => m.InstanceId).Distinct().Count());
        var count = hosts.ToDictionary(h => h.Id, h => h.Instances.Count);
        foreach (var m in plan.Moves) { count[m.From]--; count[m.To]++; }
        Assert.All(count.Values, c => Assert.InRange(c, 6, 8));                                       // 28 VMs over 4 hosts
        Assert.All(hosts, h => Assert.Equal(count[h.Id] * 0.0625, plan.LoadAfter[h.Id], 6));
        Assert.True(plan.EstimatedTotalMs > 0);
        output.WriteLine($"imbalance {plan.ImbalanceBefore:F3} → {plan.ImbalanceAfter:F3} with {plan.Moves.Count} moves, {plan.EstimatedTotalMs / 1000:F1} s");
    }

    [Fact]
    public void BalancedHosts_OrAZeroBudget_MoveNothing_AndPinnedLoadCounts()
    {
        Assert.Empty(RebalancePlanner.Plan([HostWith(5), HostWith(5), HostWith(5)], 0.05, 100, 4).Moves);
        Assert.Empty(RebalancePlanner.Plan([HostWith(10), HostWith(0)], 0.05, 0, 4).Moves);

        // The first host is full with what cannot move: the movable VMs of the second go to the third, not the first.
        var pinned = new IaasApi.Domain.Common.Resources(64, 262_144, 1_280, 0);
        List<PlannerHost> hosts = [HostWith(0, pinned), HostWith(8), HostWith(0)];
        var plan = RebalancePlanner.Plan(hosts, 0.01, 100, 4);
        Assert.NotEmpty(plan.Moves);
        Assert.All(plan.Moves, m => Assert.Equal((hosts[1].Id, hosts[2].Id), (m.From, m.To)));
        Assert.Equal(1.0, plan.LoadAfter[hosts[0].Id]);
    }

    [Fact]
    public void OnA100HostCloud_TheImbalanceFallsBelowTheTarget()
    {
        var random = new Random(7);
        var hosts = Enumerable.Range(0, 100).Select(_ => HostWith(random.Next(0, 16))).ToList();
        var plan = RebalancePlanner.Plan(hosts, targetImbalance: 0.05, maxMoves: 500, parallelMigrations: 4);
        Assert.True(plan.ImbalanceAfter <= 0.05, $"after {plan.ImbalanceAfter}");
        output.WriteLine($"100 hosts: imbalance {plan.ImbalanceBefore:F3} → {plan.ImbalanceAfter:F3}, {plan.Moves.Count} moves, " +
                         $"{plan.EstimatedTotalMs / 1000:F1} s at 4 at a time");
    }
}
