using IaasApi.Domain.Instances;
using IaasApi.Domain.Inventory;

namespace IaasApi.Api.Features.Zones;

public sealed record CreateZoneRequest(string? Name, Guid? RegionId);
public sealed record UpdateZoneRequest(string? Name);

public sealed record ZoneResponse(Guid Id, string Name, Guid RegionId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ZoneResponse From(Zone z) => new(z.Id, z.Name, z.RegionId, z.CreatedAt, z.UpdatedAt);
}

public sealed class CreateZoneValidator : AbstractValidator<CreateZoneRequest>
{
    public CreateZoneValidator()
    {
        RuleFor(x => x.Name).ValidName();
        RuleFor(x => x.RegionId).NotNull().NotEqual(Guid.Empty);
    }
}

public sealed class UpdateZoneValidator : AbstractValidator<UpdateZoneRequest>
{
    public UpdateZoneValidator() => RuleFor(x => x.Name).ValidOptionalName();
}

public static class ZonesEndpoints
{
    private const string Resource = "zone";

    public static void MapZones(this RouteGroupBuilder v1)
    {
        v1.MapCatalog<CreateZoneRequest, UpdateZoneRequest>("/zones", "Zones", "Zone", "Zones", new CatalogHandlers(List, Get, Create, Update, Delete), createProblems: [404]);
    }

    private static Task<Page<ZoneResponse>> List(IaasDbContext db, int? limit, string? pageToken, Guid? regionId, string? name,
                                                 HttpContext http, CancellationToken ct) =>
        Paging.PageAsync(http, db.Zones.AsNoTracking().Where(z => (regionId == null || z.RegionId == regionId) && (name == null || z.Name == name)),
            limit, pageToken, ZoneResponse.From, ct);

    private static Task<Ok<ZoneResponse>> Get(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        db.Zones.OkAsync(id, Resource, http, ZoneResponse.From, ct);

    private static async Task<Created<ZoneResponse>> Create(CreateZoneRequest req, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        await db.Regions.AsNoTracking().GetAsync(req.RegionId!.Value, "region", ct);
        await db.Zones.EnsureNameFreeAsync(z => z.Name == req.Name, Resource, req.Name!, null, ct);
        var zone = new Zone(req.Name!, req.RegionId.Value, db.Clock.GetUtcNow());
        return await Store.AddAsync(db, zone, "/v1/zones", ZoneResponse.From, http, ct);
    }

    private static Task<Ok<ZoneResponse>> Update(Guid id, UpdateZoneRequest req, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        Store.PatchAsync<Zone, ZoneResponse>(db, id, Resource, http, zone => db.Zones.RenameAsync(zone, req.Name, Resource, ct), ZoneResponse.From, ct);

    private static Task<NoContent> Delete(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        Store.DeleteAsync<Zone>(db, http, id, Resource, async () =>
        {
            var hosts = await db.Hosts.CountAsync(h => h.ZoneId == id, ct);
            if (hosts > 0) return $"{hosts} host(s) are in it";
            var pools = await db.StoragePools.CountAsync(p => p.ZoneId == id, ct);
            if (pools > 0) return $"{pools} storage pool(s) are in it";
            var live = await db.Instances.CountAsync(i => i.ZoneId == id && i.Status != InstanceStatus.Deleted, ct);
            return live > 0 ? $"{live} instance(s) run in it" : null;
        }, ct);
}
