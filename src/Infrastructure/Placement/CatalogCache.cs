using System.Collections.Concurrent;
using IaasApi.Domain.Catalog;

namespace IaasApi.Infrastructure.Placement;

/// <summary>
/// Flavors, images and SLA plans as the create path reads them: every create needs all three, they change rarely,
/// and a flavor is immutable once used. Entries live <see cref="TimeToLive"/> and are dropped at once when this
/// process changes them; another API replica's change is seen within the TTL. A create that races the deletion of
/// what it references is still refused by the database's foreign keys.
/// </summary>
public sealed class CatalogCache(TimeProvider clock)
{
    public static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<Guid, (object Entity, long Expires)> _entries = new();
    // Bumped by Invalidate: a load that started before an invalidation must not put its (older) result back.
    private readonly ConcurrentDictionary<Guid, long> _generations = new();

    public Task<Flavor> FlavorAsync(IaasDbContext db, Guid id, CancellationToken ct) => GetAsync(db.Flavors, id, "flavor", ct);
    public Task<Image> ImageAsync(IaasDbContext db, Guid id, CancellationToken ct) => GetAsync(db.Images, id, "image", ct);
    public Task<SlaPlan> PlanAsync(IaasDbContext db, Guid id, CancellationToken ct) => GetAsync(db.SlaPlans, id, "sla-plan", ct);

    /// <summary>Called by the catalog endpoints after a change, so this process never serves its own stale copy.</summary>
    public void Invalidate(Guid id)
    {
        _generations.AddOrUpdate(id, 1, (_, g) => g + 1);
        _entries.TryRemove(id, out _);
    }

    private async Task<T> GetAsync<T>(IQueryable<T> set, Guid id, string resource, CancellationToken ct) where T : Entity
    {
        var now = clock.GetTimestamp();
        if (_entries.TryGetValue(id, out var hit) && hit.Expires > now && hit.Entity is T cached) return cached;
        var generation = _generations.GetValueOrDefault(id);
        var entity = await set.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id, ct) ?? throw new NotFoundException(resource, id);
        if (_generations.GetValueOrDefault(id) == generation)
            _entries[id] = (entity, now + (long)(TimeToLive.TotalSeconds * clock.TimestampFrequency));
        return entity;
    }
}
