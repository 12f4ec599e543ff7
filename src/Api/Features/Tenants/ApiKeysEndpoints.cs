using IaasApi.Domain.Tenancy;
using IaasApi.Infrastructure.Security;

namespace IaasApi.Api.Features.Tenants;

public sealed record CreateApiKeyRequest(string? Name);

public sealed record ApiKeyResponse(Guid Id, string Name, Role Role, Guid? TenantId, string Prefix, DateTimeOffset CreatedAt,
                                    DateTimeOffset? LastUsedAt, bool Revoked, DateTimeOffset? RevokedAt)
{
    public static ApiKeyResponse From(ApiKey k) => new(k.Id, k.Name, k.Role, k.TenantId, k.Prefix, k.CreatedAt, k.LastUsedAt,
        k.RevokedAt is not null, k.RevokedAt);
}

/// <summary>The only response that carries a key's secret: shown once, never stored, never replayed.</summary>
public sealed record CreatedApiKeyResponse(Guid Id, string Key, string Name, Role Role, Guid? TenantId, string Prefix, DateTimeOffset CreatedAt);

public sealed class CreateApiKeyValidator : AbstractValidator<CreateApiKeyRequest>
{
    public CreateApiKeyValidator() => RuleFor(x => x.Name).ValidOptionalName();
}

/// <summary>API keys of tenants (<c>/v1/tenants/{id}/api-keys</c>) and of admins (<c>/v1/admin-keys</c>).</summary>
public static class ApiKeysEndpoints
{
    public static void MapApiKeys(this RouteGroupBuilder tenants)
    {
        var keys = tenants.MapGroup("/{id:guid}/api-keys").WithTags("ApiKeys");
        keys.MapPost("/", CreateTenantKey).Validate<CreateApiKeyRequest>().WithName("CreateTenantApiKey")
            .WithMetadata(new NoIdempotentReplayAttribute()).ProducesProblem(404);
        keys.MapGet("/", ListTenantKeys).WithName("ListTenantApiKeys").ProducesProblem(404);
        keys.MapDelete("/{keyId:guid}", RevokeTenantKey).WithName("RevokeTenantApiKey").ProducesProblem(404);
    }

    public static void MapAdminKeys(this RouteGroupBuilder v1)
    {
        var keys = v1.MapGroup("/admin-keys").WithTags("ApiKeys").RequireAuthorization(AuthorizationPolicies.Admin);
        keys.MapPost("/", CreateAdminKey).Validate<CreateApiKeyRequest>().WithName("CreateAdminKey")
            .WithMetadata(new NoIdempotentReplayAttribute());
        keys.MapGet("/", ListAdminKeys).WithName("ListAdminKeys");
        keys.MapDelete("/{keyId:guid}", RevokeAdminKey).WithName("RevokeAdminKey").ProducesProblem(404).ProducesProblem(409);
    }

    private static async Task<Created<CreatedApiKeyResponse>> CreateTenantKey(Guid id, CreateApiKeyRequest req, IaasDbContext db,
                                                                              CancellationToken ct)
    {
        var tenant = await db.Tenants.AsNoTracking().GetAsync(id, "tenant", ct);
        return await CreateAsync(db, Role.Tenant, tenant.Id, req.Name ?? "key", $"/v1/tenants/{id}/api-keys", ct);
    }

    private static async Task<Page<ApiKeyResponse>> ListTenantKeys(Guid id, IaasDbContext db, int? limit, string? pageToken, HttpContext http, CancellationToken ct)
    {
        await db.Tenants.AsNoTracking().GetAsync(id, "tenant", ct);
        return await Paging.PageAsync(http, db.ApiKeys.AsNoTracking().Where(k => k.TenantId == id), limit, pageToken, ApiKeyResponse.From, ct);
    }

    private static Task<NoContent> RevokeTenantKey(Guid id, Guid keyId, IaasDbContext db, CancellationToken ct) =>
        RevokeAsync(db, db.ApiKeys.Where(k => k.Id == keyId && k.TenantId == id), keyId, ct);

    private static Task<Created<CreatedApiKeyResponse>> CreateAdminKey(CreateApiKeyRequest req, IaasDbContext db, CancellationToken ct) =>
        CreateAsync(db, Role.Admin, null, req.Name ?? "admin", "/v1/admin-keys", ct);

    private static Task<Page<ApiKeyResponse>> ListAdminKeys(IaasDbContext db, int? limit, string? pageToken, HttpContext http, CancellationToken ct) =>
        Paging.PageAsync(http, db.ApiKeys.AsNoTracking().Where(k => k.Role == Role.Admin), limit, pageToken, ApiKeyResponse.From, ct);

    private static async Task<NoContent> RevokeAdminKey(Guid keyId, IaasDbContext db, BootstrapAdminKey bootstrap, CancellationToken ct)
    {
        if (bootstrap.Id == keyId)
            throw new ConflictException("This is the bootstrap key from Iaas:BootstrapAdminKey; remove it from configuration instead.");
        var others = await db.ApiKeys.CountAsync(k => k.Role == Role.Admin && k.RevokedAt == null && k.Id != keyId, ct);
        if (bootstrap.Hash is null && others == 0)
            throw new ConflictException("This is the last active admin key and no bootstrap key is configured; revoking it would lock every operator out.");
        return await RevokeAsync(db, db.ApiKeys.Where(k => k.Id == keyId && k.Role == Role.Admin), keyId, ct);
    }

    private static async Task<Created<CreatedApiKeyResponse>> CreateAsync(IaasDbContext db, Role role, Guid? tenantId, string name, string collection,
                                                                          CancellationToken ct)
    {
        var (secret, hash, prefix) = ApiKeySecrets.Generate();
        var key = new ApiKey(role, tenantId, name, hash, prefix, db.Clock.GetUtcNow());
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"{collection}/{key.Id}",
            new CreatedApiKeyResponse(key.Id, secret, key.Name, key.Role, key.TenantId, key.Prefix, key.CreatedAt));
    }

    /// <summary>Revoking is idempotent: a revoked key stays revoked (204 again).</summary>
    private static async Task<NoContent> RevokeAsync(IaasDbContext db, IQueryable<ApiKey> query, Guid keyId, CancellationToken ct)
    {
        var key = await query.SingleOrDefaultAsync(ct) ?? throw new NotFoundException("api-key", keyId);
        key.Revoke(db.Clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }
}
