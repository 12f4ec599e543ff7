using IaasApi.Domain.Catalog;
using IaasApi.Domain.Instances;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Api.Features.Images;

public sealed record CreateImageRequest(string? Name, string? Os, ImageFormat? Format, int? MinDiskGiB, int? SizeMiB,
                                        string? Hypervisor = null, string? RequiredCpuModel = null, IReadOnlyList<string>? RequiredCpuFeatures = null,
                                        IReadOnlyList<string>? RequiredTraits = null, IReadOnlyList<string>? ForbiddenTraits = null);
public sealed record UpdateImageRequest(string? Name, string? Os, int? MinDiskGiB,
                                        string? Hypervisor = null, string? RequiredCpuModel = null, IReadOnlyList<string>? RequiredCpuFeatures = null,
                                        IReadOnlyList<string>? RequiredTraits = null, IReadOnlyList<string>? ForbiddenTraits = null);

public sealed record ImageResponse(Guid Id, string Name, string Os, ImageFormat Format, int MinDiskGiB, int SizeMiB, string? Hypervisor,
                                   string? RequiredCpuModel, IReadOnlyList<string> RequiredCpuFeatures, IReadOnlyList<string> RequiredTraits,
                                   IReadOnlyList<string> ForbiddenTraits, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
                                   Guid? OwnerTenantId, Guid? SourceInstanceId)
{
    /// <summary><c>ownerTenantId</c>/<c>sourceInstanceId</c>: set on a tenant's private snapshot (a reservation's snapshot-then-delete).</summary>
    public static ImageResponse From(Image i) => new(i.Id, i.Name, i.Os, i.Format, i.MinDiskGiB, i.SizeMiB, i.Hypervisor, i.RequiredCpuModel,
        i.RequiredCpuFeatures, i.RequiredTraits, i.ForbiddenTraits, i.CreatedAt, i.UpdatedAt, i.OwnerTenantId, i.SourceInstanceId);
}

public sealed class CreateImageValidator : AbstractValidator<CreateImageRequest>
{
    public CreateImageValidator()
    {
        RuleFor(x => x.Name).ValidName();
        RuleFor(x => x.Os).ValidName();
        RuleFor(x => x.Format).NotNull();
        RuleFor(x => x.MinDiskGiB).Between(0, Limits.MaxDiskGiB);
        RuleFor(x => x.SizeMiB).InclusiveBetween(0, int.MaxValue);
        RuleFor(x => x.Hypervisor).Must(h => h is null || HypervisorDrivers.KnownKinds.Contains(h))
            .WithMessage($"'hypervisor' must be one of: {string.Join(", ", HypervisorDrivers.KnownKinds)}.");
        RuleFor(x => x.RequiredCpuModel).MaximumLength(Limits.ShortTextMaxLength).PlainText();
        RuleFor(x => x.RequiredCpuFeatures).ValidTags();
        RuleFor(x => x.RequiredTraits).ValidTags();
        RuleFor(x => x.ForbiddenTraits).ValidTags();
    }
}

public sealed class UpdateImageValidator : AbstractValidator<UpdateImageRequest>
{
    public UpdateImageValidator()
    {
        RuleFor(x => x.Name).ValidOptionalName();
        RuleFor(x => x.Os).ValidOptionalName();
        RuleFor(x => x.MinDiskGiB).InclusiveBetween(0, Limits.MaxDiskGiB);
        RuleFor(x => x.Hypervisor).Must(h => h is null || h.Length == 0 || HypervisorDrivers.KnownKinds.Contains(h))
            .WithMessage($"'hypervisor' must be one of: {string.Join(", ", HypervisorDrivers.KnownKinds)} (or \"\" for any).");
        RuleFor(x => x.RequiredCpuModel).MaximumLength(Limits.ShortTextMaxLength).PlainText();
        RuleFor(x => x.RequiredCpuFeatures).ValidTags();
        RuleFor(x => x.RequiredTraits).ValidTags();
        RuleFor(x => x.ForbiddenTraits).ValidTags();
    }
}

public static class ImagesEndpoints
{
    private const string Resource = "image";

    public static void MapImages(this RouteGroupBuilder v1)
    {
        v1.MapCatalog<CreateImageRequest, UpdateImageRequest>("/images", "Images", "Image", "Images", new CatalogHandlers(List, Get, Create, Update, Delete));
    }

    /// <summary>
    /// The public catalog and, for a tenant, its own snapshots (admins see every image). Filters: name, os,
    /// visibility (public: the catalog; private: snapshots) and sourceInstanceId (the snapshots of one instance).
    /// </summary>
    private static Task<Page<ImageResponse>> List(Caller caller, IaasDbContext db, int? limit, string? pageToken, string? name, string? os,
                                                  string? visibility, Guid? sourceInstanceId, HttpContext http, CancellationToken ct)
    {
        var own = caller.TenantId;
        var query = db.Images.AsNoTracking().Where(i => (name == null || i.Name == name) && (os == null || i.Os == os)
                                                      && (own == null || i.OwnerTenantId == null || i.OwnerTenantId == own));
        query = QueryValues.Enum<ImageVisibility>(visibility, "visibility") switch
        {
            ImageVisibility.Public => query.Where(i => i.OwnerTenantId == null),
            ImageVisibility.Private => query.Where(i => i.OwnerTenantId != null),
            _ => query,
        };
        if (sourceInstanceId is { } source) query = query.Where(i => i.SourceInstanceId == source);
        return Paging.PageAsync(http, query, limit, pageToken, ImageResponse.From, ct);
    }

    private static async Task<Ok<ImageResponse>> Get(Guid id, Caller caller, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var image = await db.Images.AsNoTracking().GetAsync(id, Resource, ct);
        if (!image.IsVisibleTo(caller.TenantId)) throw new NotFoundException(Resource, id);
        return Store.Ok(http, image.Version, ImageResponse.From(image));
    }

    private static async Task<Created<ImageResponse>> Create(CreateImageRequest req, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        await db.Images.EnsureNameFreeAsync(i => i.Name == req.Name, Resource, req.Name!, null, ct);
        var image = new Image(req.Name!, req.Os!, req.Format!.Value, req.MinDiskGiB!.Value, req.SizeMiB ?? 0, db.Clock.GetUtcNow());
        image.SetPlacement(req.Hypervisor,
            Hints.Merge(PlacementHints.None, req.RequiredCpuModel, req.RequiredCpuFeatures, req.RequiredTraits, req.ForbiddenTraits));
        return await Store.AddAsync(db, image, "/v1/images", ImageResponse.From, http, ct);
    }

    private static async Task<Ok<ImageResponse>> Update(Guid id, CatalogCache cache, UpdateImageRequest req, IaasDbContext db, HttpContext http,
                                                        CancellationToken ct)
    {
        var updated = await Store.PatchAsync<Image, ImageResponse>(db, id, Resource, http, async image =>
        {
            if (req.Name is { } name && name != image.Name)
                await db.Images.EnsureNameFreeAsync(i => i.Name == name, Resource, name, id, ct);
            image.Update(req.Name, req.Os, req.MinDiskGiB);
            image.SetPlacement(req.Hypervisor is null ? image.Hypervisor : req.Hypervisor.Length == 0 ? null : req.Hypervisor,
                Hints.Merge(image.Hints, req.RequiredCpuModel, req.RequiredCpuFeatures, req.RequiredTraits, req.ForbiddenTraits));
        }, ImageResponse.From, ct);
        cache.Invalidate(id);
        return updated;
    }

    private static async Task<NoContent> Delete(Guid id, CatalogCache cache, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var result = await Store.DeleteAsync<Image>(db, http, id, Resource, async () =>
        {
            var live = await db.Instances.CountAsync(i => i.ImageId == id && i.Status != InstanceStatus.Deleted, ct);
            return live > 0 ? $"{live} instance(s) use it" : null;
        }, ct);
        cache.Invalidate(id);
        return result;
    }
}

/// <summary>The images list's visibility filter: the public catalog, or snapshots owned by a tenant.</summary>
public enum ImageVisibility { Public, Private }
