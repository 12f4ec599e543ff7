using IaasApi.Domain.Common;
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
    private long _lastRefreshStartTicks;
    private long _lastFullTicks;

    public int Count => _table.Hosts.Length;

    /// <summary>Hosts ordered by id. The array is shared: never modify it (copy it to place a batch).</summary>
    /// <param name="fresh">Wait for a refresh that starts after this call (a refusal must not rest on a stale view);
    /// concurrent callers share one such refresh.</param>
    public async ValueTask<IReadOnlyList<HostCandidate>> GetAsync(IaasDbContext db, CancellationToken ct, bool fresh = false)
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
            if (!_table.Loaded || clock.GetElapsedTime(_lastFullTicks, now) > TimeSpan.FromSeconds(o.FullRefreshSeconds))
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
    /// Adds a claim this process just made (or, with a negative delta, takes back one that did not commit), so the
    /// next decision sees it at once instead of racing for the same host. A compare-and-swap on the host's slot:
    /// concurrent adjustments add up. Drift (a rollback we missed, another replica's claims) is corrected by the
    /// next refresh, which reads the committed rows.
    /// </summary>
    public void Adjust(Guid hostId, Resources delta, int instances)
    {
        var table = _table;
        if (!table.Index.TryGetValue(hostId, out var i)) return;
        while (true)
        {
            var current = Volatile.Read(ref table.Hosts[i]);
            var next = current.WithAllocation(current.Allocated + delta, current.InstanceCount + instances);
            if (ReferenceEquals(Interlocked.CompareExchange(ref table.Hosts[i], next, current), current)) return;
        }
    }

    /// <summary>
    /// Re-reads the given hosts (after claims on them were lost): their real allocation, state, or their deletion.
    /// Claims on them are not ours (we lost them), so the rows hold nothing this transaction might roll back.
    /// </summary>
    public async Task ReloadAsync(IaasDbContext db, IReadOnlyCollection<Guid> hostIds, CancellationToken ct)
    {
        if (hostIds.Count == 0) return;
        var rows = (await Project(db.Hosts.Where(h => hostIds.Contains(h.Id))).ToListAsync(ct)).Select(WithDriver).ToList();
        Merge(rows, removed: hostIds.Except(rows.Select(r => r.Id)).ToList());
    }

    private async Task LoadAllAsync(IaasDbContext db, CancellationToken ct)
    {
        _lastRefreshStartTicks = clock.GetTimestamp();
        var started = clock.GetUtcNow();
        var rows = await Project(db.Hosts).ToListAsync(ct);
        _table = Table.Of(rows.Select(WithDriver));
        _watermark = started - SkewMargin;
        _lastRefreshTicks = _lastFullTicks = clock.GetTimestamp();
        log.LogDebug("Placement snapshot: {Count} hosts loaded", rows.Count);
    }

    private async Task LoadChangedAsync(IaasDbContext db, CancellationToken ct)
    {
        _lastRefreshStartTicks = clock.GetTimestamp();
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
