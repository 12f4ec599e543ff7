using IaasApi.Domain.Catalog;
using IaasApi.Domain.Instances;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Api.Features.Flavors;

/// <summary>A flavor's fields as a create or a patch sends them (a create must send name, vCPUs, memory and disk).</summary>
public interface IFlavorFields
{
    string? Name { get; }
    int? Vcpus { get; }
    int? MemoryMiB { get; }
    int? DiskGiB { get; }
    int? NetworkMbps { get; }
    string? RequiredCpuModel { get; }
    IReadOnlyList<string>? RequiredCpuFeatures { get; }
    IReadOnlyList<string>? RequiredTraits { get; }
    IReadOnlyList<string>? ForbiddenTraits { get; }
}

public sealed record CreateFlavorRequest(string? Name, int? Vcpus, int? MemoryMiB, int? DiskGiB, int? NetworkMbps, FlavorFamily? Family,
                                         string? RequiredCpuModel = null, IReadOnlyList<string>? RequiredCpuFeatures = null,
                                         IReadOnlyList<string>? RequiredTraits = null, IReadOnlyList<string>? ForbiddenTraits = null) : IFlavorFields;
public sealed record UpdateFlavorRequest(string? Name, int? Vcpus, int? MemoryMiB, int? DiskGiB, int? NetworkMbps, FlavorFamily? Family,
                                         string? RequiredCpuModel = null, IReadOnlyList<string>? RequiredCpuFeatures = null,
                                         IReadOnlyList<string>? RequiredTraits = null, IReadOnlyList<string>? ForbiddenTraits = null) : IFlavorFields;

public sealed record FlavorResponse(Guid Id, string Name, int Vcpus, int MemoryMiB, int DiskGiB, int NetworkMbps, FlavorFamily Family,
                                    string? RequiredCpuModel, IReadOnlyList<string> RequiredCpuFeatures, IReadOnlyList<string> RequiredTraits,
                                    IReadOnlyList<string> ForbiddenTraits, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static FlavorResponse From(Flavor f) => new(f.Id, f.Name, f.Resources.Vcpus, f.Resources.MemoryMiB, f.Resources.DiskGiB,
        f.Resources.NetworkMbps, f.Family, f.RequiredCpuModel, f.RequiredCpuFeatures, f.RequiredTraits, f.ForbiddenTraits, f.CreatedAt, f.UpdatedAt);
}

/// <summary>The same rules for a create and a patch; a create must name the flavor and give its vCPUs, memory and disk.</summary>
public abstract class FlavorFieldsValidator<T> : AbstractValidator<T> where T : IFlavorFields
{
    protected FlavorFieldsValidator(bool create)
    {
        if (create)
        {
            RuleFor(x => x.Name).ValidName();
            RuleFor(x => x.Vcpus).Between(1, Limits.MaxVcpus);
            RuleFor(x => x.MemoryMiB).Between(1, Limits.MaxMemoryMiB);
            RuleFor(x => x.DiskGiB).Between(0, Limits.MaxDiskGiB);
        }
        else
        {
            RuleFor(x => x.Name).ValidOptionalName();
            RuleFor(x => x.Vcpus).InclusiveBetween(1, Limits.MaxVcpus);
            RuleFor(x => x.MemoryMiB).InclusiveBetween(1, Limits.MaxMemoryMiB);
            RuleFor(x => x.DiskGiB).InclusiveBetween(0, Limits.MaxDiskGiB);
        }
        RuleFor(x => x.NetworkMbps).InclusiveBetween(0, Limits.MaxNetworkMbps);
        RuleFor(x => x.RequiredCpuModel).MaximumLength(Limits.ShortTextMaxLength).PlainText();
        RuleFor(x => x.RequiredCpuFeatures).ValidTags();
        RuleFor(x => x.RequiredTraits).ValidTags();
        RuleFor(x => x.ForbiddenTraits).ValidTags();
    }
}

public sealed class CreateFlavorValidator() : FlavorFieldsValidator<CreateFlavorRequest>(create: true);

public sealed class UpdateFlavorValidator() : FlavorFieldsValidator<UpdateFlavorRequest>(create: false);

public static class FlavorsEndpoints
{
    private const string Resource = "flavor";

    public static void MapFlavors(this RouteGroupBuilder v1)
    {
        v1.MapCatalog<CreateFlavorRequest, UpdateFlavorRequest>("/flavors", "Flavors", "Flavor", "Flavors", new CatalogHandlers(List, Get, Create, Update, Delete), updateProblems: [409]);
    }

    private static Task<Page<FlavorResponse>> List(IaasDbContext db, int? limit, string? pageToken, string? name, string? family,
                                                   HttpContext http, CancellationToken ct)
    {
        var wanted = QueryValues.Enum<FlavorFamily>(family, "family");
        return Paging.PageAsync(http, db.Flavors.AsNoTracking().Where(f => (name == null || f.Name == name) && (wanted == null || f.Family == wanted)),
            limit, pageToken, FlavorResponse.From, ct);
    }

    private static Task<Ok<FlavorResponse>> Get(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        db.Flavors.OkAsync(id, Resource, http, FlavorResponse.From, ct);

    private static async Task<Created<FlavorResponse>> Create(CreateFlavorRequest req, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        await db.Flavors.EnsureNameFreeAsync(f => f.Name == req.Name, Resource, req.Name!, null, ct);
        var flavor = new Flavor(req.Name!, new Resources(req.Vcpus!.Value, req.MemoryMiB!.Value, req.DiskGiB!.Value, req.NetworkMbps ?? 0),
            req.Family ?? FlavorFamily.General, db.Clock.GetUtcNow());
        flavor.SetHints(Hints.Merge(PlacementHints.None, req.RequiredCpuModel, req.RequiredCpuFeatures, req.RequiredTraits, req.ForbiddenTraits),
            inUse: false);
        return await Store.AddAsync(db, flavor, "/v1/flavors", FlavorResponse.From, http, ct);
    }

    private static async Task<Ok<FlavorResponse>> Update(Guid id, CatalogCache cache, UpdateFlavorRequest req, IaasDbContext db, HttpContext http,
                                                         CancellationToken ct)
    {
        var updated = await Store.PatchAsync<Flavor, FlavorResponse>(db, id, Resource, http, async flavor =>
        {
            await db.Flavors.RenameAsync(flavor, req.Name, Resource, ct);
            var r = flavor.Resources;
            var resized = new Resources(req.Vcpus ?? r.Vcpus, req.MemoryMiB ?? r.MemoryMiB, req.DiskGiB ?? r.DiskGiB, req.NetworkMbps ?? r.NetworkMbps);
            var inUse = await InUseAsync(db, id, ct) is not null;
            if (resized != r) flavor.Resize(resized, inUse);
            flavor.SetHints(Hints.Merge(flavor.Hints, req.RequiredCpuModel, req.RequiredCpuFeatures, req.RequiredTraits, req.ForbiddenTraits), inUse);
            if (req.Family is { } family) flavor.SetFamily(family);
        }, FlavorResponse.From, ct);
        cache.Invalidate(id);
        return updated;
    }

    private static async Task<NoContent> Delete(Guid id, CatalogCache cache, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var result = await Store.DeleteAsync<Flavor>(db, http, id, Resource, () => InUseAsync(db, id, ct), ct);
        cache.Invalidate(id);
        return result;
    }

    private static async Task<string?> InUseAsync(IaasDbContext db, Guid id, CancellationToken ct)
    {
        var live = await db.Instances.CountAsync(i => i.FlavorId == id && i.Status != InstanceStatus.Deleted, ct);
        return live > 0 ? $"{live} instance(s) use it" : null;
    }
}
