using IaasApi.Domain.Placement;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IaasApi.Infrastructure.Placement;

/// <summary>
/// The hosts as placement sees them, kept in memory per process so a decision never reads every host row.
/// Refreshed incrementally (rows whose <c>updated_at</c> moved since the last refresh, minus a skew margin) at most
/// every <c>RefreshMilliseconds</c>, fully every <c>FullRefreshSeconds</c> (deleted hosts, clock skew), and host by
/// host after a lost claim. It may be stale; the database stays the arbiter through the conditional-UPDATE claim, so
/// staleness can only cost a retry, never an over-allocation.
/// </summary>
public sealed class HostSnapshot(HypervisorDrivers drivers, TimeProvider clock, IOptions<IaasOptions> options, ILogger<HostSnapshot> log)
{
    // Commits land a little after the updated_at they wrote; re-reading this far back catches them.
    private static readonly TimeSpan SkewMargin = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile Table _table = Table.Empty;
    private DateTimeOffset _watermark = DateTimeOffset.MinValue;
    private long _lastRefreshTicks;
    private long _lastFullTicks;

    public int Count => _table.Hosts.Length;

    /// <summary>Hosts ordered by id. The array is shared: never modify it (copy it to place a batch).</summary>
    public async ValueTask<IReadOnlyList<HostCandidate>> GetAsync(IaasDbContext db, CancellationToken ct, bool fresh = false)
    {
        var now = clock.GetTimestamp();
        var o = options.Value.Placement;
        var full = _table.Loaded == false || clock.GetElapsedTime(_lastFullTicks, now) > TimeSpan.FromSeconds(o.FullRefreshSeconds);
        var due = full || fresh || clock.GetElapsedTime(_lastRefreshTicks, now) > TimeSpan.FromMilliseconds(o.RefreshMilliseconds);
        if (!due) return _table.Hosts;

        // One refresher at a time; others use the current table unless there is none yet (or they need it fresh).
        if (!await _refreshing.WaitAsync(_table.Loaded && !fresh ? TimeSpan.Zero : Timeout.InfiniteTimeSpan, ct)) return _table.Hosts;
        try
        {
            if (full || !_table.Loaded) await LoadAllAsync(db, ct);
            else if (fresh || clock.GetElapsedTime(_lastRefreshTicks, clock.GetTimestamp()) > TimeSpan.FromMilliseconds(o.RefreshMilliseconds))
                await LoadChangedAsync(db, ct);
        }
        finally
        {
            _refreshing.Release();
        }
        return _table.Hosts;
    }

    /// <summary>Records claims this process just committed, so the next decision sees them at once.</summary>
    public void Apply(IEnumerable<HostCandidate> claimed)
    {
        var table = _table;
        foreach (var host in claimed)
            if (table.Index.TryGetValue(host.Id, out var i)) table.Hosts[i] = host;   // an atomic reference swap
    }

    /// <summary>
    /// Re-reads the given hosts (after claims on them were lost): their real allocation, state, or their deletion.
    /// <paramref name="share"/>: also update the shared snapshot — not when the caller's transaction holds claims of
    /// its own that may still roll back (a batch), which the rows would include.
    /// </summary>
    public async Task<IReadOnlyList<HostCandidate>> ReloadAsync(IaasDbContext db, IReadOnlyCollection<Guid> hostIds, bool share, CancellationToken ct)
    {
        if (hostIds.Count == 0) return [];
        var rows = (await Project(db.Hosts.Where(h => hostIds.Contains(h.Id))).ToListAsync(ct)).Select(WithDriver).ToList();
        if (share) Merge(rows, removed: hostIds.Except(rows.Select(r => r.Id)).ToList());
        return rows;
    }

    private async Task LoadAllAsync(IaasDbContext db, CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        var rows = await Project(db.Hosts).ToListAsync(ct);
        _table = Table.Of(rows.Select(WithDriver));
        _watermark = started - SkewMargin;
        _lastRefreshTicks = _lastFullTicks = clock.GetTimestamp();
        log.LogDebug("Placement snapshot: {Count} hosts loaded", rows.Count);
    }

    private async Task LoadChangedAsync(IaasDbContext db, CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        var since = _watermark;
        var rows = (await Project(db.Hosts.Where(h => h.UpdatedAt >= since)).ToListAsync(ct)).Select(WithDriver).ToList();
        Merge(rows, removed: []);
        _watermark = started - SkewMargin;
        _lastRefreshTicks = clock.GetTimestamp();
    }

    private void Merge(IReadOnlyList<HostCandidate> rows, IReadOnlyList<Guid> removed)
    {
        var table = _table;
        var added = new List<HostCandidate>();
        foreach (var row in rows)
        {
            if (table.Index.TryGetValue(row.Id, out var i)) table.Hosts[i] = row;
            else added.Add(row);
        }
        if (added.Count > 0 || removed.Count > 0)
            _table = Table.Of(table.Hosts.Where(h => !removed.Contains(h.Id)).Concat(added));   // structure changed: a new table
    }

    private HostCandidate WithDriver(HostCandidate h) => h.WithHypervisor(h.Hypervisor, drivers.CapabilitiesOf(h.Hypervisor));

    private static IQueryable<HostCandidate> Project(IQueryable<Domain.Inventory.Host> hosts) =>
        hosts.AsNoTracking().Select(h => new HostCandidate(h.Id, h.Name, h.ZoneId, h.RegionId, h.Hypervisor, h.State, h.Power,
            h.Capacity, h.Reserved, h.AllocationRatios, h.Allocated, h.InstanceCount, h.CpuModel, h.CpuFeatures, h.Traits, null,
            h.ConfigVersion));

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
