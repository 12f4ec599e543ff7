using IaasApi.Domain.Inventory;

namespace IaasApi.Api.Features.Regions;

public sealed record CreateRegionRequest(string? Name);
public sealed record UpdateRegionRequest(string? Name);

public sealed record RegionResponse(Guid Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static RegionResponse From(Region r) => new(r.Id, r.Name, r.CreatedAt, r.UpdatedAt);
}

public sealed class CreateRegionValidator : AbstractValidator<CreateRegionRequest>
{
    public CreateRegionValidator() => RuleFor(x => x.Name).ValidName();
}

public sealed class UpdateRegionValidator : AbstractValidator<UpdateRegionRequest>
{
    public UpdateRegionValidator() => RuleFor(x => x.Name).ValidOptionalName();
}

public static class RegionsEndpoints
{
    private const string Resource = "region";

    public static void MapRegions(this RouteGroupBuilder v1)
    {
        v1.MapCatalog<CreateRegionRequest, UpdateRegionRequest>("/regions", "Regions", "Region", "Regions", new CatalogHandlers(List, Get, Create, Update, Delete));
    }

    private static Task<Page<RegionResponse>> List(IaasDbContext db, int? limit, string? pageToken, string? name, HttpContext http, CancellationToken ct) =>
        Paging.PageAsync(http, db.Regions.AsNoTracking().Where(r => name == null || r.Name == name), limit, pageToken, RegionResponse.From, ct);

    private static Task<Ok<RegionResponse>> Get(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        db.Regions.OkAsync(id, Resource, http, RegionResponse.From, ct);

    private static async Task<Created<RegionResponse>> Create(CreateRegionRequest req, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        await db.Regions.EnsureNameFreeAsync(r => r.Name == req.Name, Resource, req.Name!, null, ct);
        var region = new Region(req.Name!, db.Clock.GetUtcNow());
        return await Store.AddAsync(db, region, "/v1/regions", RegionResponse.From, http, ct);
    }

    private static Task<Ok<RegionResponse>> Update(Guid id, UpdateRegionRequest req, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        Store.PatchAsync<Region, RegionResponse>(db, id, Resource, http, region => db.Regions.RenameAsync(region, req.Name, Resource, ct),
                                                 RegionResponse.From, ct);

    private static Task<NoContent> Delete(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        Store.DeleteAsync<Region>(db, http, id, Resource, async () =>
        {
            var zones = await db.Zones.CountAsync(z => z.RegionId == id, ct);
            return zones > 0 ? $"{zones} zone(s) belong to it" : null;
        }, ct);
}
