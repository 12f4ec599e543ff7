using IaasApi.Domain.Common;

namespace IaasApi.Domain.Reservations;

/// <summary>Capacity held over [Start, End) (End = <see cref="DateTimeOffset.MaxValue"/> for "no end").</summary>
public readonly record struct Interval(DateTimeOffset Start, DateTimeOffset End, Resources Amount)
{
    public bool Overlaps(DateTimeOffset from, DateTimeOffset to) => Start < to && from < End;
}

/// <summary>
/// One host's capacity over time, the single timeline every scheme books on (Sotomayor et al., Haizea):
/// <list type="bullet">
/// <item><see cref="Persistent"/>: non-preemptible instances running now outside any reservation. They have no end,
/// so they occupy their capacity at every future instant.</item>
/// <item><see cref="Borrowed"/>: preemptible instances running now. They occupy capacity now, but any future
/// reservation may take it back (they are preempted when it starts).</item>
/// <item><see cref="InSlots"/>: instances running inside their reservation's slots (already counted by the slots).</item>
/// <item><see cref="Slots"/>: reservation slots, used or not, over their windows.</item>
/// <item><see cref="Idle"/>: the unused part of slots whose reservation has started. Nothing else may take it now.</item>
/// </list>
/// Every check is per resource: "for every instant t and every resource r, x_r(t) ≤ usable_r" is the same as
/// "for every r, the maximum over t of x_r(t) ≤ usable_r", so peaks are taken per resource.
/// </summary>
public sealed class HostTimeline(Guid hostId, Resources usable, Resources persistent, Resources borrowed, Resources inSlots,
                                 IReadOnlyList<Interval> slots, Resources idle = default)
{
    public Resources Idle { get; } = idle;
    public Guid HostId { get; } = hostId;
    public Resources Usable { get; } = usable;
    public Resources Persistent { get; } = persistent;
    public Resources Borrowed { get; } = borrowed;
    public Resources InSlots { get; } = inSlots;
    public IReadOnlyList<Interval> Slots { get; } = slots;

    /// <summary>Everything claimed right now: what the host physically runs.</summary>
    public Resources Allocated => Persistent + Borrowed + InSlots;

    /// <summary>Per resource, the most the slots hold at any instant of [from, to).</summary>
    public Resources PeakReserved(DateTimeOffset from, DateTimeOffset to) => Peak(Slots, from, to);

    /// <summary>Reserved at the instant <paramref name="at"/>.</summary>
    public Resources ReservedAt(DateTimeOffset at)
    {
        var sum = Resources.Zero;
        foreach (var s in Slots)
            if (s.Start <= at && at < s.End) sum += s.Amount;
        return sum;
    }

    /// <summary>A new reservation slot of <paramref name="demand"/> over [from, to): persistent instances and every other slot must still fit at every instant.</summary>
    public bool CanReserve(Resources demand, DateTimeOffset from, DateTimeOffset to) =>
        Fits(Persistent + PeakReserved(from, to) + demand, Usable);

    /// <summary>How many slots of <paramref name="demand"/> this host can still take over [from, to).</summary>
    public int SlotsFitting(Resources demand, DateTimeOffset from, DateTimeOffset to) =>
        Units(Usable - Persistent - PeakReserved(from, to), demand);

    /// <summary>
    /// A non-preemptible instance starting now (and never ending): it must fit physically now, and alongside every
    /// future reservation without borrowing their capacity.
    /// </summary>
    public bool CanRunPersistent(Resources demand, DateTimeOffset now) =>
        Fits(Allocated + Idle + demand, Usable) && Fits(Persistent + PeakReserved(now, DateTimeOffset.MaxValue) + demand, Usable);

    /// <summary>
    /// A preemptible instance starting now: room now (beside started reservations' idle slots) is enough; it may
    /// borrow what future reservations will need.
    /// </summary>
    public bool CanRunPreemptible(Resources demand) => Fits(Allocated + Idle + demand, Usable);

    public static Resources Peak(IReadOnlyList<Interval> slots, DateTimeOffset from, DateTimeOffset to)
    {
        if (slots.Count == 0 || from >= to) return Resources.Zero;
        // Sweep: the sum only rises at a start, so the peak is at `from` or at a slot start inside (from, to).
        var events = new List<(DateTimeOffset At, int Sign, Resources Amount)>(slots.Count * 2);
        foreach (var s in slots)
        {
            if (!s.Overlaps(from, to)) continue;
            events.Add((s.Start > from ? s.Start : from, +1, s.Amount));
            if (s.End < to) events.Add((s.End, -1, s.Amount));
        }
        // Ends before starts at the same instant: [a, b) then [b, c) never overlap.
        events.Sort((x, y) => x.At != y.At ? x.At.CompareTo(y.At) : x.Sign.CompareTo(y.Sign));
        Resources current = Resources.Zero, peak = Resources.Zero;
        foreach (var (_, sign, amount) in events)
        {
            current = sign > 0 ? current + amount : current - amount;
            peak = Max(peak, current);
        }
        return peak;
    }

    public static bool Fits(Resources need, Resources usable) =>
        need.Vcpus <= usable.Vcpus && need.MemoryMiB <= usable.MemoryMiB && need.DiskGiB <= usable.DiskGiB && need.NetworkMbps <= usable.NetworkMbps;

    public static Resources Max(Resources a, Resources b) =>
        new(Math.Max(a.Vcpus, b.Vcpus), Math.Max(a.MemoryMiB, b.MemoryMiB), Math.Max(a.DiskGiB, b.DiskGiB), Math.Max(a.NetworkMbps, b.NetworkMbps));

    /// <summary>How many times <paramref name="demand"/> fits in <paramref name="room"/> (per resource, the smallest).</summary>
    public static int Units(Resources room, Resources demand)
    {
        var units = int.MaxValue;
        Take(room.Vcpus, demand.Vcpus);
        Take(room.MemoryMiB, demand.MemoryMiB);
        Take(room.DiskGiB, demand.DiskGiB);
        Take(room.NetworkMbps, demand.NetworkMbps);
        return units == int.MaxValue ? 0 : units;

        void Take(int free, int need)
        {
            if (need <= 0) return;
            units = Math.Min(units, free < 0 ? 0 : free / need);
        }
    }
}
