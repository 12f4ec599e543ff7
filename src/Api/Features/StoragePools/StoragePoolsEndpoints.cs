using IaasApi.Domain.Inventory;

namespace IaasApi.Api.Features.StoragePools;

public sealed record CreateStoragePoolRequest(string? Name, Guid? ZoneId, int? CapacityGiB);
public sealed record UpdateStoragePoolRequest(string? Name, int? CapacityGiB);

public sealed record StoragePoolResponse(Guid Id, string Name, Guid ZoneId, int CapacityGiB, int AllocatedGiB, int FreeGiB,
                                         DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static StoragePoolResponse From(StoragePool p) =>
        new(p.Id, p.Name, p.ZoneId, p.CapacityGiB, p.AllocatedGiB, p.CapacityGiB - p.AllocatedGiB, p.CreatedAt, p.UpdatedAt);
}

public sealed class CreateStoragePoolValidator : AbstractValidator<CreateStoragePoolRequest>
{
    public CreateStoragePoolValidator()
    {
        RuleFor(x => x.Name).ValidName();
        RuleFor(x => x.ZoneId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.CapacityGiB).NotNull().InclusiveBetween(1, 100_000_000);
    }
}

public sealed class UpdateStoragePoolValidator : AbstractValidator<UpdateStoragePoolRequest>
{
    public UpdateStoragePoolValidator()
    {
        RuleFor(x => x.Name).ValidOptionalName();
        RuleFor(x => x.CapacityGiB).InclusiveBetween(1, 100_000_000);
    }
}

/// <summary>
/// Shared storage pools (admin): a zone's datastores that every host of the zone reaches. A VM's disk starts on its
/// host's local disk; a live storage migration (<c>migrate</c> with <c>type: storage</c>) moves it to a pool.
/// </summary>
public static class StoragePoolsEndpoints
{
    private const string Resource = "storage-pool";

    public static void MapStoragePools(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/storage-pools").WithTags("StoragePools").RequireAuthorization(AuthorizationPolicies.Admin);
        group.MapGet("/", List).WithName("ListStoragePools");
        group.MapGet("/{id:guid}", Get).WithName("GetStoragePool").ProducesProblem(404);
        group.MapPost("/", Create).Validate<CreateStoragePoolRequest>().WithName("CreateStoragePool").ProducesProblem(404).ProducesProblem(409);
        group.MapPatch("/{id:guid}", Update).Validate<UpdateStoragePoolRequest>().WithName("UpdateStoragePool").ProducesProblem(404).ProducesProblem(409)
             .ProducesProblem(412);
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteStoragePool").ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
    }

    private static Task<Page<StoragePoolResponse>> List(IaasDbContext db, int? limit, string? pageToken, Guid? zoneId, string? name, HttpContext http, CancellationToken ct) =>
        Paging.PageAsync(http, db.StoragePools.AsNoTracking().Where(p => (zoneId == null || p.ZoneId == zoneId) && (name == null || p.Name == name)),
            limit, pageToken, StoragePoolResponse.From, ct);

    private static Task<Ok<StoragePoolResponse>> Get(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        db.StoragePools.OkAsync(id, Resource, http, StoragePoolResponse.From, ct);

    private static async Task<Created<StoragePoolResponse>> Create(CreateStoragePoolRequest req, IaasDbContext db, HttpContext http,
                                                                   CancellationToken ct)
    {
        await db.Zones.AsNoTracking().GetAsync(req.ZoneId!.Value, "zone", ct);
        await db.StoragePools.EnsureNameFreeAsync(p => p.Name == req.Name, Resource, req.Name!, null, ct);
        var pool = new StoragePool(req.Name!, req.ZoneId.Value, req.CapacityGiB!.Value, db.Clock.GetUtcNow());
        return await Store.AddAsync(db, pool, "/v1/storage-pools", StoragePoolResponse.From, http, ct);
    }

    /// <summary>A concurrent claim on the pool moves its version: the save answers 409, and the client reads it again.</summary>
    private static Task<Ok<StoragePoolResponse>> Update(Guid id, UpdateStoragePoolRequest req, IaasDbContext db, HttpContext http,
                                                        CancellationToken ct) =>
        Store.PatchAsync<StoragePool, StoragePoolResponse>(db, id, Resource, http, async pool =>
        {
            await db.StoragePools.RenameAsync(pool, req.Name, Resource, ct);
            if (req.CapacityGiB is { } capacity) pool.Resize(capacity);
        }, StoragePoolResponse.From, ct);

    private static Task<NoContent> Delete(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        Store.DeleteAsync<StoragePool>(db, http, id, Resource, async () =>
        {
            var disks = await db.Instances.CountAsync(i => i.StoragePoolId == id && i.Status != Domain.Instances.InstanceStatus.Deleted, ct);
            var pool = await db.StoragePools.AsNoTracking().SingleAsync(p => p.Id == id, ct);
            return disks > 0 || pool.AllocatedGiB > 0 ? $"{disks} instance disk(s) live on it ({pool.AllocatedGiB} GiB allocated)" : null;
        }, ct);
}
