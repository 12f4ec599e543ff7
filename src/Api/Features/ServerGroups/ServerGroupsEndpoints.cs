using IaasApi.Domain.Instances;
using IaasApi.Domain.ServerGroups;

namespace IaasApi.Api.Features.ServerGroups;

public sealed record CreateServerGroupRequest(string? Name, ServerGroupPolicy? Policy, int? MaxPerHost, Guid? TenantId);

public sealed record ServerGroupResponse(Guid Id, string Name, Guid TenantId, ServerGroupPolicy Policy, int? MaxPerHost,
                                         IReadOnlyList<Guid> Members, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ServerGroupResponse From(ServerGroup g, IReadOnlyList<Guid> members) =>
        new(g.Id, g.Name, g.TenantId, g.Policy, g.MaxPerHost, members, g.CreatedAt, g.UpdatedAt);
}

public sealed class CreateServerGroupValidator : AbstractValidator<CreateServerGroupRequest>
{
    public CreateServerGroupValidator()
    {
        RuleFor(x => x.Name).ValidName();
        RuleFor(x => x.Policy).NotNull();
        RuleFor(x => x.MaxPerHost).InclusiveBetween(1, ServerGroup.MaxPerHostLimit);
        RuleFor(x => x.MaxPerHost).Null().When(x => x.Policy is not ServerGroupPolicy.AntiAffinity)
            .WithMessage("'maxPerHost' applies to the anti-affinity policy only.");
    }
}

/// <summary>
/// Server groups (Nova's): instances created with <c>serverGroupId</c> are placed together (affinity) or apart
/// (anti-affinity, at most <c>maxPerHost</c> per host), strictly (a filter) or by preference (soft-*, a weigher).
/// Tenant-owned; another tenant's group is 404.
/// </summary>
public static class ServerGroupsEndpoints
{
    private const string Resource = "server-group";

    public static void MapServerGroups(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/server-groups").WithTags("ServerGroups");
        group.MapPost("/", Create).Validate<CreateServerGroupRequest>().WithName("CreateServerGroup").ProducesProblem(404);
        group.MapGet("/", List).WithName("ListServerGroups");
        group.MapGet("/{id:guid}", Get).WithName("GetServerGroup").ProducesProblem(404);
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteServerGroup").ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
    }

    /// <summary>A group the caller may see: another tenant's is a 404.</summary>
    public static async Task<ServerGroup> FindVisibleAsync(IaasDbContext db, Caller caller, Guid id, CancellationToken ct)
    {
        var group = await db.ServerGroups.AsNoTracking().SingleOrDefaultAsync(g => g.Id == id, ct);
        return group is not null && caller.CanSee(group.TenantId) ? group : throw new NotFoundException(Resource, id);
    }

    private static async Task<Created<ServerGroupResponse>> Create(CreateServerGroupRequest req, Caller caller, IaasDbContext db, HttpContext http,
                                                                   CancellationToken ct)
    {
        Guid tenantId;
        if (caller.TenantId is { } own)
        {
            if (req.TenantId is { } other && other != own) throw new NotFoundException("tenant", other);
            tenantId = own;
        }
        else
        {
            tenantId = req.TenantId ?? throw new FieldValidationException("tenantId", "Admin keys create server groups for a tenant: 'tenantId' is required.");
            await db.Tenants.AsNoTracking().GetAsync(tenantId, "tenant", ct);
        }
        var group = new ServerGroup(tenantId, req.Name!, req.Policy!.Value, req.MaxPerHost, db.Clock.GetUtcNow());
        db.ServerGroups.Add(group);
        await db.SaveChangesAsync(ct);
        return Store.Created(http, $"/v1/server-groups/{group.Id}", group.Version, ServerGroupResponse.From(group, []));
    }

    private static async Task<Page<ServerGroupResponse>> List(Caller caller, IaasDbContext db, int? limit, string? pageToken, Guid? tenantId,
                                                             string? name, HttpContext http, CancellationToken ct)
    {
        var query = db.ServerGroups.AsNoTracking();
        if (name is not null) query = query.Where(g => g.Name == name);
        query = caller.TenantId is { } own ? query.Where(g => g.TenantId == own)
            : tenantId is not null ? query.Where(g => g.TenantId == tenantId) : query;
        var page = await Paging.PageAsync(http, query, limit, pageToken, g => g, ct);
        var members = await MembersAsync(db, page.Items.Select(g => g.Id).ToList(), ct);
        return new Page<ServerGroupResponse>(
            page.Items.Select(g => ServerGroupResponse.From(g, members.GetValueOrDefault(g.Id) ?? [])).ToList(), page.NextPageToken);
    }

    private static async Task<Ok<ServerGroupResponse>> Get(Guid id, Caller caller, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var group = await FindVisibleAsync(db, caller, id, ct);
        var members = await MembersAsync(db, [id], ct);
        return Store.Ok(http, group.Version, ServerGroupResponse.From(group, members.GetValueOrDefault(id) ?? []));
    }

    private static async Task<NoContent> Delete(Guid id, Caller caller, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        await FindVisibleAsync(db, caller, id, ct);
        return await Store.DeleteAsync<ServerGroup>(db, http, id, Resource, async () =>
        {
            var live = await db.Instances.CountAsync(i => i.ServerGroupId == id && i.Status != InstanceStatus.Deleted, ct);
            return live > 0 ? $"{live} instance(s) are members" : null;
        }, ct);
    }

    /// <summary>Live members per group, oldest first.</summary>
    private static async Task<Dictionary<Guid, List<Guid>>> MembersAsync(IaasDbContext db, IReadOnlyCollection<Guid> groupIds, CancellationToken ct)
    {
        var rows = await db.Instances.AsNoTracking()
            .Where(i => i.ServerGroupId != null && groupIds.Contains(i.ServerGroupId.Value) && i.Status != InstanceStatus.Deleted)
            .OrderBy(i => i.Id).Select(i => new { Group = i.ServerGroupId!.Value, i.Id }).ToListAsync(ct);
        return rows.GroupBy(r => r.Group).ToDictionary(g => g.Key, g => g.Select(r => r.Id).ToList());
    }
}
