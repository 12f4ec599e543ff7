using System.Collections.Concurrent;
using System.Linq.Expressions;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Reservations;

namespace IaasApi.Infrastructure.Reservations;

/// <summary>
/// Each host's reservation slots, kept in memory per process and checked against the host's <c>timeline_version</c>
/// on every use. Every change to a host's slots bumps that column in the same transaction (the timeline lock), so a
/// read costs one small row per host plus the slots of the hosts whose version moved since this process last looked:
/// at 1,000 hosts × 10,000 reservations that is the difference between reading ~2,500 slot rows per request and ~5.
/// The answer is never staler than the host rows read with it: the version is read first and the slots after it, so a
/// cached list is at least as new as the version it is filed under (a newer list under an older version only costs a
/// re-read). Decisions that must not rest on a plan (the check under the host's lock) read the database directly.
/// </summary>
public sealed class TimelineCache
{
    private readonly ConcurrentDictionary<Guid, Row> _rows = new();
    private readonly ConcurrentDictionary<Guid, Entry> _slots = new();

    /// <summary>Slot rows read from the database since start (how much the cache saves is visible in tests and benchmarks).</summary>
    public long SlotRowsRead => Interlocked.Read(ref _slotRowsRead);
    private long _slotRowsRead;

    /// <summary>
    /// The timelines of the hosts matching <paramref name="hosts"/> (ordered by id) over [from, to): their counters as
    /// committed now and the slots overlapping the window. <paramref name="only"/> narrows the hosts after the read (an
    /// eligible set). Not for a transaction that has locked a timeline: what it reads there is not committed yet.
    /// </summary>
    public async Task<IReadOnlyList<HostTimeline>> TimelinesAsync(IaasDbContext db, Expression<Func<Host, bool>> hosts, DateTimeOffset from,
                                                                  DateTimeOffset to, CancellationToken ct, IReadOnlySet<Guid>? only = null)
    {
        // Which hosts, at which versions: three columns per host. Rows and slots are re-read only where a version moved.
        var keys = await db.Hosts.AsNoTracking().Where(hosts).Select(h => new { h.Id, h.Version, h.TimelineVersion }).ToListAsync(ct);
        if (only is not null) keys.RemoveAll(k => !only.Contains(k.Id));
        keys.Sort((a, b) => a.Id.CompareTo(b.Id));

        // Validate every entry once, against the versions read above; use what was validated (or loaded) here, not what
        // a concurrent request may have filed meanwhile.
        var rowOf = new Dictionary<Guid, Row>(keys.Count);
        var slotsOf = new Dictionary<Guid, Interval[]>(keys.Count);
        List<Guid>? staleRows = null, staleSlots = null;
        foreach (var k in keys)
        {
            if (_rows.TryGetValue(k.Id, out var row) && row.Version == k.Version) rowOf[k.Id] = row;
            else (staleRows ??= []).Add(k.Id);
            if (_slots.TryGetValue(k.Id, out var e) && e.Version == k.TimelineVersion) slotsOf[k.Id] = e.Slots;
            else (staleSlots ??= []).Add(k.Id);
        }
        if (staleRows is not null)
            foreach (var row in await RowsAsync(db, h => staleRows.Contains(h.Id), ct))
                _rows[row.Id] = rowOf[row.Id] = row;                               // filed under the version it was read at
        if (staleSlots is not null)
        {
            var loaded = await SlotsAsync(db, staleSlots, null, null, null, ct);
            var versionOf = keys.ToDictionary(k => k.Id, k => k.TimelineVersion);
            foreach (var id in staleSlots)
            {
                var list = loaded[id].OrderBy(s => s.Start).ToArray();
                slotsOf[id] = list;
                _slots[id] = new Entry(versionOf[id], list);                       // read after that version: at least as new
            }
        }
        // A host deleted between the two reads has no row: it holds nothing any more.
        return keys.Where(k => rowOf.ContainsKey(k.Id)).Select(k => Build(rowOf[k.Id], slotsOf[k.Id], from, to)).ToList();
    }

    /// <summary>
    /// The same timelines read straight from the database, within the caller's transaction (the check under a host's
    /// timeline lock), optionally without one reservation's slots (a reschedule checks the others).
    /// </summary>
    public async Task<IReadOnlyList<HostTimeline>> ReadAsync(IaasDbContext db, IReadOnlyCollection<Guid> hostIds, DateTimeOffset from,
                                                             DateTimeOffset to, CancellationToken ct, Guid? excludeReservation = null)
    {
        var ids = hostIds.ToList();
        var rows = await RowsAsync(db, h => ids.Contains(h.Id), ct);
        var slots = await SlotsAsync(db, ids, from, to, excludeReservation, ct);
        return rows.Select(r => Build(r, slots[r.Id], from, to)).ToList();
    }

    /// <summary>Forgets everything (tests that rewrite rows behind the application's back).</summary>
    public void Clear()
    {
        _rows.Clear();
        _slots.Clear();
    }

    private static async Task<List<Row>> RowsAsync(IaasDbContext db, Expression<Func<Host, bool>> hosts, CancellationToken ct)
    {
        // Column by column: EF reads the whole row when a projection names a complex property as a unit.
        var rows = await db.Hosts.AsNoTracking().Where(hosts)
            .Select(h => new Row(h.Id, h.Version,
                new Resources(h.Capacity.Vcpus, h.Capacity.MemoryMiB, h.Capacity.DiskGiB, h.Capacity.NetworkMbps),
                new Resources(h.Reserved.Vcpus, h.Reserved.MemoryMiB, h.Reserved.DiskGiB, h.Reserved.NetworkMbps),
                new AllocationRatios(h.AllocationRatios.Cpu, h.AllocationRatios.Memory, h.AllocationRatios.Disk),
                new Resources(h.Allocated.Vcpus, h.Allocated.MemoryMiB, h.Allocated.DiskGiB, h.Allocated.NetworkMbps),
                new Resources(h.PreemptibleAllocated.Vcpus, h.PreemptibleAllocated.MemoryMiB, h.PreemptibleAllocated.DiskGiB,
                              h.PreemptibleAllocated.NetworkMbps),
                new Resources(h.SlotAllocated.Vcpus, h.SlotAllocated.MemoryMiB, h.SlotAllocated.DiskGiB, h.SlotAllocated.NetworkMbps),
                new Resources(h.IdleReserved.Vcpus, h.IdleReserved.MemoryMiB, h.IdleReserved.DiskGiB, h.IdleReserved.NetworkMbps)))
            .ToListAsync(ct);
        rows.Sort((a, b) => a.Id.CompareTo(b.Id));
        return rows;
    }

    private async Task<ILookup<Guid, Interval>> SlotsAsync(IaasDbContext db, List<Guid> ids, DateTimeOffset? from, DateTimeOffset? to,
                                                          Guid? excludeReservation, CancellationToken ct)
    {
        var query = db.ReservationSlots.AsNoTracking().Where(s => ids.Contains(s.HostId));
        if (from is { } f) query = query.Where(s => s.End > f);
        if (to is { } t) query = query.Where(s => s.Start < t);
        if (excludeReservation is { } x) query = query.Where(s => s.ReservationId != x);
        var slots = await query
            .Select(s => new { s.HostId, s.Start, s.End, s.Resources.Vcpus, s.Resources.MemoryMiB, s.Resources.DiskGiB, s.Resources.NetworkMbps })
            .ToListAsync(ct);
        Interlocked.Add(ref _slotRowsRead, slots.Count);
        return slots.ToLookup(s => s.HostId, s => new Interval(s.Start, s.End, new Resources(s.Vcpus, s.MemoryMiB, s.DiskGiB, s.NetworkMbps)));
    }

    private static HostTimeline Build(Row r, IEnumerable<Interval> slots, DateTimeOffset from, DateTimeOffset to)
    {
        var window = new List<Interval>();
        foreach (var s in slots)
            if (s.End > from && s.Start < to) window.Add(s);
        return new HostTimeline(r.Id, Host.UsableUnitsOf(r.Capacity, r.Reserved, r.Ratios), r.Allocated - r.Preemptible - r.InSlots,
                                r.Preemptible, r.InSlots, window, r.IdleReserved);
    }

    private sealed record Entry(long Version, Interval[] Slots);

    private sealed record Row(Guid Id, long Version, Resources Capacity, Resources Reserved, AllocationRatios Ratios, Resources Allocated,
                              Resources Preemptible, Resources InSlots, Resources IdleReserved);
}
