using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;

namespace IaasApi.Domain.Reservations;

/// <summary>Capacity over time in a set of hosts: where a reservation's slots go, and when the earliest window opens.</summary>
public static class CapacityPlanner
{
    /// <summary>
    /// Hosts for <paramref name="count"/> slots of <paramref name="demand"/> over [from, to) — one host id per slot —
    /// or null when they do not fit. Pack fills the hosts with the most room first (fewer hosts hold the lease);
    /// spread deals the slots round-robin (a host failure touches few of them).
    /// </summary>
    public static IReadOnlyList<Guid>? Assign(IReadOnlyList<HostTimeline> hosts, Resources demand, int count, DateTimeOffset from,
                                              DateTimeOffset to, PlacementStrategy strategy)
    {
        var room = hosts.Select(h => (h.HostId, Units: h.SlotsFitting(demand, from, to)))
            .Where(h => h.Units > 0).OrderByDescending(h => h.Units).ThenBy(h => h.HostId).ToList();
        if (room.Sum(h => (long)h.Units) < count) return null;
        var picks = new List<Guid>(count);
        if (strategy == PlacementStrategy.Pack)
        {
            foreach (var (host, units) in room)
                for (var i = 0; i < units && picks.Count < count; i++) picks.Add(host);
            return picks;
        }
        var left = room.Select(h => h.Units).ToArray();
        while (picks.Count < count)
            for (var i = 0; i < room.Count && picks.Count < count; i++)
                if (left[i]-- > 0) picks.Add(room[i].HostId);
        return picks;
    }

    /// <summary>How many slots of <paramref name="demand"/> the hosts can take over [from, to), all together.</summary>
    public static long Room(IReadOnlyList<HostTimeline> hosts, Resources demand, DateTimeOffset from, DateTimeOffset to)
    {
        long total = 0;
        foreach (var h in hosts) total += h.SlotsFitting(demand, from, to);
        return total;
    }

    /// <summary>
    /// The earliest start at or after <paramref name="notBefore"/> at which <paramref name="count"/> slots fit for
    /// <paramref name="duration"/>. Capacity only frees when a slot ends, so the candidates are <paramref name="notBefore"/>
    /// and the slot ends after it (at most <paramref name="maxCandidates"/> of them); null if none of those works.
    /// </summary>
    public static DateTimeOffset? EarliestStart(IReadOnlyList<HostTimeline> hosts, Resources demand, int count, DateTimeOffset notBefore,
                                                TimeSpan duration, int maxCandidates = 500)
    {
        var candidates = hosts.SelectMany(h => h.Slots).Select(s => s.End)
            .Where(e => e > notBefore && e != DateTimeOffset.MaxValue).Distinct().Order().Take(maxCandidates)
            .Prepend(notBefore);
        foreach (var start in candidates)
            if (Room(hosts, demand, start, start + duration) >= count) return start;
        return null;
    }
}

/// <summary>Resources summed over many hosts: 64-bit, so a zone of large hosts cannot overflow.</summary>
public readonly record struct ResourceTotals(long Vcpus, long MemoryMiB, long DiskGiB, long NetworkMbps)
{
    public static ResourceTotals operator +(ResourceTotals a, Resources b) =>
        new(a.Vcpus + b.Vcpus, a.MemoryMiB + b.MemoryMiB, a.DiskGiB + b.DiskGiB, a.NetworkMbps + b.NetworkMbps);
}

/// <summary>One point of the capacity timeline of a zone (GET /v1/capacity).</summary>
public sealed record CapacityPoint(DateTimeOffset At, ResourceTotals Usable, ResourceTotals Allocated, ResourceTotals Reserved, ResourceTotals Free);

public static class CapacityView
{
    /// <summary>
    /// Usable, allocated (instances that will still run then: non-preemptible ones outside reservations — and, at
    /// instants up to now, preemptible ones too), reserved (slots whose window covers that instant, used or not) and
    /// free (per host, what is left, never below zero), summed over the hosts, every <paramref name="step"/> from
    /// <paramref name="from"/> to <paramref name="to"/>.
    /// </summary>
    public static IReadOnlyList<CapacityPoint> Series(IReadOnlyList<HostTimeline> hosts, DateTimeOffset now, DateTimeOffset from,
                                                     DateTimeOffset to, TimeSpan step, int maxPoints = 1000)
    {
        var times = new List<DateTimeOffset>();
        for (var t = from; t <= to && times.Count < maxPoints; t += step) times.Add(t);
        var usable = new ResourceTotals[times.Count];
        var allocated = new ResourceTotals[times.Count];
        var reserved = new ResourceTotals[times.Count];
        var free = new ResourceTotals[times.Count];
        var events = new List<(DateTimeOffset At, bool Start, Resources Amount)>();
        foreach (var h in hosts)
        {
            // One sweep per host: its slots' starts and ends in time order, walked once along the points.
            events.Clear();
            foreach (var slot in h.Slots)
            {
                if (slot.End <= from || slot.Start > to) continue;
                events.Add((slot.Start, true, slot.Amount));
                events.Add((slot.End, false, slot.Amount));
            }
            events.Sort((a, b) => a.At.CompareTo(b.At));
            var next = 0;
            var current = Resources.Zero;
            for (var p = 0; p < times.Count; p++)
            {
                var t = times[p];
                for (; next < events.Count && events[next].At <= t; next++)
                    current = events[next].Start ? current + events[next].Amount : current - events[next].Amount;
                var held = t <= now ? h.Persistent + h.Borrowed : h.Persistent;
                usable[p] += h.Usable;
                allocated[p] += held;
                reserved[p] += current;
                free[p] += HostTimeline.Max(h.Usable - held - current, Resources.Zero);
            }
        }
        return times.Select((t, p) => new CapacityPoint(t, usable[p], allocated[p], reserved[p], free[p])).ToList();
    }
}
