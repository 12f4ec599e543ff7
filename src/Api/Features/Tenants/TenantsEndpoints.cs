using IaasApi.Domain.Tenancy;

namespace IaasApi.Api.Features.Tenants;

public sealed record QuotasDto(int? Instances, int? Vcpus, int? MemoryMiB);
public sealed record CreateTenantRequest(string? Name, QuotasDto? Quotas);
public sealed record UpdateTenantRequest(string? Name, QuotasDto? Quotas);

public sealed record QuotasResponse(int Instances, int Vcpus, int MemoryMiB)
{
    public static QuotasResponse From(Quotas q) => new(q.Instances, q.Vcpus, q.MemoryMiB);
    public static QuotasResponse From(Usage u) => new(u.Instances, u.Vcpus, u.MemoryMiB);
}

public sealed record TenantResponse(Guid Id, string Name, QuotasResponse Quotas, QuotasResponse Usage, DateTimeOffset CreatedAt,
                                    DateTimeOffset UpdatedAt)
{
    public static TenantResponse From(Tenant t) =>
        new(t.Id, t.Name, QuotasResponse.From(t.Quotas), QuotasResponse.From(t.Usage), t.CreatedAt, t.UpdatedAt);
}

public sealed class QuotasValidator : AbstractValidator<QuotasDto>
{
    public QuotasValidator()
    {
        const string unlimited = "'{PropertyName}' must be −1 (unlimited) or a count ≥ 0.";
        RuleFor(x => x.Instances).InclusiveBetween(Quotas.Unlimited, 1_000_000).WithMessage(unlimited);
        RuleFor(x => x.Vcpus).InclusiveBetween(Quotas.Unlimited, 100_000_000).WithMessage(unlimited);
        RuleFor(x => x.MemoryMiB).InclusiveBetween(Quotas.Unlimited, int.MaxValue).WithMessage(unlimited);
    }
}

public sealed class CreateTenantValidator : AbstractValidator<CreateTenantRequest>
{
    public CreateTenantValidator()
    {
        RuleFor(x => x.Name).ValidName();
        When(x => x.Quotas is not null, () => RuleFor(x => x.Quotas!).SetValidator(new QuotasValidator()));
    }
}

public sealed class UpdateTenantValidator : AbstractValidator<UpdateTenantRequest>
{
    public UpdateTenantValidator()
    {
        RuleFor(x => x.Name).ValidOptionalName();
        When(x => x.Quotas is not null, () => RuleFor(x => x.Quotas!).SetValidator(new QuotasValidator()));
    }
}

/// <summary>Tenants (projects) and their quotas: admin-only. A tenant reads its own through <c>/v1/me</c>.</summary>
public static class TenantsEndpoints
{
    private const string Resource = "tenant";

    public static void MapTenants(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/tenants").WithTags("Tenants").RequireAuthorization(AuthorizationPolicies.Admin);
        group.MapGet("/", List).WithName("ListTenants");
        group.MapGet("/{id:guid}", Get).WithName("GetTenant").ProducesProblem(404);
        group.MapPost("/", Create).Validate<CreateTenantRequest>().WithName("CreateTenant").ProducesProblem(409);
        group.MapPatch("/{id:guid}", Update).Validate<UpdateTenantRequest>().WithName("UpdateTenant").ProducesProblem(404).ProducesProblem(412);
        group.MapApiKeys();
    }

    private static Task<Page<TenantResponse>> List(IaasDbContext db, int? limit, string? pageToken, string? name, HttpContext http, CancellationToken ct) =>
        Paging.PageAsync(http, db.Tenants.AsNoTracking().Where(t => name == null || t.Name == name), limit, pageToken, TenantResponse.From, ct);

    private static Task<Ok<TenantResponse>> Get(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        db.Tenants.OkAsync(id, Resource, http, TenantResponse.From, ct);

    private static async Task<Created<TenantResponse>> Create(CreateTenantRequest req, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        await db.Tenants.EnsureNameFreeAsync(t => t.Name == req.Name, Resource, req.Name!, null, ct);
        var tenant = new Tenant(req.Name!, Merge(Quotas.Default, req.Quotas), db.Clock.GetUtcNow());
        return await Store.AddAsync(db, tenant, "/v1/tenants", TenantResponse.From, http, ct);
    }

    /// <summary>Usage changes with every claim (each bumps the version); without If-Match the patch is re-applied.</summary>
    private static async Task<Ok<TenantResponse>> Update(Guid id, UpdateTenantRequest req, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var tenant = await db.Tenants.GetAsync(id, Resource, ct);
            ETags.CheckIfMatch(http, tenant.Version);
            await db.Tenants.RenameAsync(tenant, req.Name, Resource, ct);
            if (req.Quotas is not null) tenant.SetQuotas(Merge(tenant.Quotas, req.Quotas));
            try
            {
                await db.SaveChangesAsync(ct);
                return Store.Ok(http, tenant.Version, TenantResponse.From(tenant));
            }
            catch (DbUpdateConcurrencyException) when (attempt < 5 && http.Request.Headers.IfMatch.Count == 0)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private static Quotas Merge(Quotas current, QuotasDto? patch) => patch is null
        ? current
        : new Quotas(patch.Instances ?? current.Instances, patch.Vcpus ?? current.Vcpus, patch.MemoryMiB ?? current.MemoryMiB);
}
