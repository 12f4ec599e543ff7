using IaasApi.Domain.Instances;
using IaasApi.Domain.Placement;
using IaasApi.Infrastructure.Hypervisors;

namespace IaasApi.Infrastructure.Placement;

/// <summary>
/// The hosts as placement sees them, kept in memory per process so a decision never reads every host row.
/// Refreshed incrementally (rows whose <c>updated_at</c> moved since the last refresh, minus a skew margin) at most
/// every <c>RefreshMilliseconds</c>, fully every <c>FullRefreshSeconds</c> (deleted hosts, clock skew), and host by
/// host after a lost claim. It may be stale; the database stays the arbiter through the conditional-UPDATE claim, so
/// staleness can only cost a retry, never an over-allocation.
/// Every mutation (table swap, slot write) happens under one lock; readers take the array without locking and read
/// each slot once per decision (the pipeline copies the references).
/// </summary>
public sealed class HostSnapshot(HypervisorDrivers drivers, TimeProvider clock, IOptions<IaasOptions> options, ILogger<HostSnapshot> log)
{
    // A commit lands after the updated_at it wrote, and replicas' clocks differ a little: re-reading this far back
    // catches both (replica clocks are assumed NTP-synchronised well within it). Unchanged rows cost no allocation.
    private static readonly TimeSpan SkewMargin = TimeSpan.FromSeconds(5);
    // A refusal is re-checked on a full re-read at most this often (the full read also catches what skew hid).
    private static readonly TimeSpan FullBeforeRefusingAfter = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly Lock _mutate = new();
    private volatile Table _table = Table.Empty;
    // Hosts whose entry carries claims this process made that no read of the row has confirmed yet (guarded by _mutate).
    // Their row version is the one read before the claim, so a version comparison cannot tell them from the row: a
    // re-read of such a host always replaces its entry, except the incremental refresh while the row has not moved
    // (the claim's transaction may still be open; replacing it then would only invite a lost claim).
    private readonly HashSet<Guid> _unconfirmed = [];
    private DateTimeOffset _watermark = DateTimeOffset.MinValue;
    private long _lastRefreshTicks;
    private long _lastRefreshStartTicks;
    private long _lastFullTicks;

    public int Count => _table.Hosts.Length;

    /// <summary>The hosts as this process sees them now, without refreshing (what the next decision would rank).</summary>
    public IReadOnlyList<HostCandidate> Current => _table.Hosts;

    /// <summary>Hosts ordered by id. The array is shared: never modify it; read each slot once (copy the references).</summary>
    /// <param name="fresh">Wait for a refresh that starts after this call (a refusal must not rest on a stale view);
    /// concurrent callers share one such refresh.</param>
    public async ValueTask<HostCandidate[]> GetAsync(IaasDbContext db, CancellationToken ct, bool fresh = false)
    {
        var asked = clock.GetTimestamp();
        var o = options.Value.Placement;
        var due = !_table.Loaded || fresh || clock.GetElapsedTime(_lastRefreshTicks, asked) > TimeSpan.FromMilliseconds(o.RefreshMilliseconds);
        if (!due) return _table.Hosts;

        // One refresher at a time; others use the current table unless there is none yet (or they need it fresh).
        if (!await _refreshing.WaitAsync(_table.Loaded && !fresh ? TimeSpan.Zero : Timeout.InfiniteTimeSpan, ct)) return _table.Hosts;
        try
        {
            var now = clock.GetTimestamp();
            var sinceFull = clock.GetElapsedTime(_lastFullTicks, now);
            if (!_table.Loaded || sinceFull > TimeSpan.FromSeconds(o.FullRefreshSeconds) || (fresh && sinceFull > FullBeforeRefusingAfter))
                await LoadAllAsync(db, ct);
            else if (fresh ? _lastRefreshStartTicks < asked
                           : clock.GetElapsedTime(_lastRefreshTicks, now) > TimeSpan.FromMilliseconds(o.RefreshMilliseconds))
                await LoadChangedAsync(db, ct);
        }
        finally
        {
            _refreshing.Release();
        }
        return _table.Hosts;
    }

    /// <summary>
    /// Adds a claim this process just made, so the next decision sees it at once instead of racing for the same host.
    /// (A claim that then does not commit is not subtracted: the caller reloads the host's committed row instead, which
    /// replaces the entry; a full refresh replaces it too.)
    /// </summary>
    public void Adjust(Guid hostId, Resources delta, int instances, ClaimKind kind)
    {
        lock (_mutate)
        {
            var table = _table;
            if (!table.Index.TryGetValue(hostId, out var i)) return;
            var current = table.Hosts[i];
            // A slot claim moves capacity from idle reserved (already counted as taken here) to allocated.
            table.Hosts[i] = current.WithAllocation(kind == ClaimKind.InSlot ? current.Allocated : current.Allocated + delta,
                current.InstanceCount + instances, kind == ClaimKind.Persistent ? current.Committed + delta : current.Committed);
            _unconfirmed.Add(hostId);
        }
    }

    /// <summary>
    /// Re-reads the given hosts' committed rows (after claims on them were lost, or after a transaction holding our own
    /// claims on them rolled back): their real allocation, state, or their deletion. Call it outside a transaction that
    /// holds claims on them, or the rows would include claims that may still roll back.
    /// </summary>
    public async Task ReloadAsync(IaasDbContext db, IReadOnlyCollection<Guid> hostIds, CancellationToken ct)
    {
        if (hostIds.Count == 0) return;
        var rows = await Rows(db.Hosts.Where(h => hostIds.Contains(h.Id))).ToListAsync(ct);
        Merge(rows, removed: hostIds.Except(rows.Select(r => r.Id)).ToList(), replaceUnconfirmed: true);
    }

    /// <summary>Whether the entry of <paramref name="hostId"/> holds claims of this process that no read of its row has confirmed.</summary>
    public bool IsUnconfirmed(Guid hostId)
    {
        lock (_mutate) return _unconfirmed.Contains(hostId);
    }

    private async Task LoadAllAsync(IaasDbContext db, CancellationToken ct)
    {
        _lastRefreshStartTicks = clock.GetTimestamp();
        var started = clock.GetUtcNow();
        var rows = await Rows(db.Hosts).ToListAsync(ct);
        lock (_mutate)
        {
            var old = _table;
            // Reuse the candidates that did not change (same row version, no unconfirmed claim of ours): no FrozenSets rebuilt for them.
            _table = Table.Of(rows.Select(r => old.Index.TryGetValue(r.Id, out var i) && old.Hosts[i].RowVersion == r.Version && !_unconfirmed.Contains(r.Id)
                ? old.Hosts[i] : Build(r)));
            _unconfirmed.Clear();
        }
        _watermark = started - SkewMargin;
        _lastRefreshTicks = _lastFullTicks = clock.GetTimestamp();
        log.LogDebug("Placement snapshot: {Count} hosts loaded", rows.Count);
    }

    private async Task LoadChangedAsync(IaasDbContext db, CancellationToken ct)
    {
        _lastRefreshStartTicks = clock.GetTimestamp();
        var started = clock.GetUtcNow();
        var since = _watermark;
        var rows = await Rows(db.Hosts.Where(h => h.UpdatedAt >= since)).ToListAsync(ct);
        Merge(rows, removed: []);
        _watermark = started - SkewMargin;
        _lastRefreshTicks = clock.GetTimestamp();
    }

    /// <param name="replaceUnconfirmed">Replace entries holding unconfirmed claims even when the row did not move (the
    /// caller knows those claims did not commit).</param>
    private void Merge(IReadOnlyList<HostRow> rows, IReadOnlyList<Guid> removed, bool replaceUnconfirmed = false)
    {
        lock (_mutate)
        {
            var table = _table;
            var added = new List<HostCandidate>();
            foreach (var row in rows)
            {
                if (!table.Index.TryGetValue(row.Id, out var i)) added.Add(Build(row));
                else if (table.Hosts[i].RowVersion != row.Version || (replaceUnconfirmed && _unconfirmed.Contains(row.Id)))
                {
                    table.Hosts[i] = Build(row);
                    _unconfirmed.Remove(row.Id);
                }
            }
            foreach (var id in removed) _unconfirmed.Remove(id);
            if (added.Count > 0 || removed.Count > 0)
                _table = Table.Of(table.Hosts.Where(h => !removed.Contains(h.Id)).Concat(added));   // structure changed: a new table
        }
    }

    private HostCandidate Build(HostRow r) => new(r.Id, r.Name, r.ZoneId, r.RegionId, r.Hypervisor, r.State, r.Power, r.Capacity, r.Reserved,
        r.Ratios, r.Allocated + r.IdleReserved, r.InstanceCount, r.CpuModel, r.CpuFeatures, r.Traits, drivers.CapabilitiesOf(r.Hypervisor), r.ConfigVersion, r.Version,
        r.Allocated - r.PreemptibleAllocated - r.SlotAllocated + r.ReservedPeak);

    private static IQueryable<HostRow> Rows(IQueryable<Domain.Inventory.Host> hosts) =>
        hosts.AsNoTracking().Select(h => new HostRow(h.Id, h.Name, h.ZoneId, h.RegionId, h.Hypervisor, h.State, h.Power, h.Capacity, h.Reserved,
            h.AllocationRatios, h.Allocated, h.InstanceCount, h.CpuModel, h.CpuFeatures, h.Traits, h.ConfigVersion, h.Version,
            h.PreemptibleAllocated, h.SlotAllocated, h.ReservedPeak, h.IdleReserved));

    /// <summary>A host row as read, before it becomes a (more expensive) candidate.</summary>
    private sealed record HostRow(Guid Id, string Name, Guid ZoneId, Guid RegionId, string Hypervisor, Domain.Inventory.HostState State,
                                  Domain.Inventory.HostPower Power, Resources Capacity, Resources Reserved, Domain.Inventory.AllocationRatios Ratios,
                                  Resources Allocated, int InstanceCount, string? CpuModel, List<string> CpuFeatures, List<string> Traits,
                                  long ConfigVersion, long Version, Resources PreemptibleAllocated, Resources SlotAllocated, Resources ReservedPeak,
                                  Resources IdleReserved);

    /// <summary>Hosts by id, and where each sits in the array. Replaced whole when hosts come or go.</summary>
    private sealed record Table(HostCandidate[] Hosts, Dictionary<Guid, int> Index, bool Loaded)
    {
        public static Table Empty { get; } = new([], [], false);

        public static Table Of(IEnumerable<HostCandidate> hosts)
        {
            var array = hosts.OrderBy(h => h.Id).ToArray();
            var index = new Dictionary<Guid, int>(array.Length);
            for (var i = 0; i < array.Length; i++) index[array[i].Id] = i;
            return new Table(array, index, true);
        }
    }
}
