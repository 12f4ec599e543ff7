using IaasApi.Domain.Migrations;

namespace IaasApi.Api.Features.Migrations;

/// <summary>
/// Migrations (admin): <c>POST /v1/instances/{id}/actions/migrate</c> starts one (mapped with the instance's actions, see
/// <c>Instances/MigrateInstance.cs</c>; its stages run in a job), <c>/v1/migrations</c> lists and reads them with live
/// progress, and <c>actions/cancel</c> and <c>actions/force-complete</c> steer a running one. Previews and planners have
/// files of their own.
/// </summary>
public static class MigrationsEndpoints
{
    public static void MapMigrations(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/migrations").WithTags("Migrations").RequireAuthorization(AuthorizationPolicies.Admin);
        group.MapGet("/", List).WithName("ListMigrations");
        group.MapGet("/{id:guid}", Get).WithName("GetMigration").ProducesProblem(404);
        group.MapPost("/{id:guid}/actions/{action:regex(^(cancel|force-complete)$)}", Steer).WithName("MigrationAction")
             .ProducesProblem(404).ProducesProblem(409);
    }

    private static async Task<Page<MigrationResponse>> List(IaasDbContext db, int? limit, string? pageToken, Guid? instanceId, Guid? hostId,
                                                           string? status, string? order, HttpContext http, CancellationToken ct)
    {
        var query = db.Migrations.AsNoTracking();
        if (instanceId is not null) query = query.Where(m => m.InstanceId == instanceId);
        if (hostId is not null) query = query.Where(m => m.SourceHostId == hostId || m.TargetHostId == hostId);
        if (QueryValues.Enum<MigrationStatus>(status, "status") is { } s) query = query.Where(m => m.Status == s);
        var page = await Paging.PageAsync(http, query, limit, pageToken, m => m, ct, order);
        return new Page<MigrationResponse>(page.Items.Select(MigrationResponse.From).ToList(), page.NextPageToken);
    }

    private static async Task<Ok<MigrationResponse>> Get(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var migration = await db.Migrations.AsNoTracking().GetAsync(id, "migration", ct);
        return Store.Ok(http, migration.Version, MigrationResponse.From(migration));
    }

    /// <summary>Records the operator's request; the job acts on it at its next step (202: it has not happened yet).</summary>
    private static async Task<Accepted<MigrationResponse>> Steer(Guid id, string action, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var migration = await db.Migrations.AsNoTracking().GetAsync(id, "migration", ct);
        ETags.CheckIfMatch(http, migration.Version);
        if (action == "cancel") migration.RequestCancel();          // the rules (409 once committing or finished)
        else migration.RequestForceComplete();
        // Only the request's flag is written, without touching the version: the job saves its progress on the same row
        // every poll, and neither write may make the other fail. The job reads the flag at its next step.
        var live = new[] { MigrationStatus.Queued, MigrationStatus.Running };
        var written = action == "cancel"
            ? await db.Migrations.Where(m => m.Id == id && live.Contains(m.Status)).ExecuteUpdateAsync(s => s.SetProperty(m => m.CancelRequested, true), ct)
            : await db.Migrations.Where(m => m.Id == id && live.Contains(m.Status)).ExecuteUpdateAsync(s => s.SetProperty(m => m.ForceCompleteRequested, true), ct);
        if (written == 0) throw new InvalidStateException("The migration ended meanwhile.");
        ETags.Set(http, migration.Version);
        return TypedResults.Accepted($"/v1/migrations/{migration.Id}", MigrationResponse.From(migration));
    }
}
