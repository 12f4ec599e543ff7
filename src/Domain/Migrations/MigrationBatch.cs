namespace IaasApi.Domain.Migrations;

/// <summary>
/// Ordering many migrations that share a limited number of parallel slots (a drain: at most N out of a host at a
/// time). Longest first onto the earliest free slot (Graham's LPT rule) keeps the batch's total time within 4/3 of
/// the best possible; first come, first served can be far worse when a long migration is left for last.
/// </summary>
public static class MigrationBatch
{
    /// <summary>The order to start them in, and the batch's total time if each takes its estimate.</summary>
    public static (IReadOnlyList<T> Order, double TotalMs) LongestFirst<T>(IEnumerable<(T Item, double DurationMs)> migrations, int parallel)
    {
        var order = migrations.OrderByDescending(m => m.DurationMs).ToList();
        return (order.Select(m => m.Item).ToList(), TotalMs(order.Select(m => m.DurationMs), parallel));
    }

    /// <summary>The total time of starting <paramref name="durationsMs"/> in this order, each on the earliest free of <paramref name="parallel"/> slots.</summary>
    public static double TotalMs(IEnumerable<double> durationsMs, int parallel)
    {
        var slots = new PriorityQueue<int, double>();
        for (var i = 0; i < Math.Max(1, parallel); i++) slots.Enqueue(i, 0);
        var end = 0.0;
        foreach (var d in durationsMs)
        {
            slots.TryDequeue(out var slot, out var free);
            var done = free + Math.Max(0, d);
            end = Math.Max(end, done);
            slots.Enqueue(slot, done);
        }
        return end;
    }
}
