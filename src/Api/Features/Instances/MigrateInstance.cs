using IaasApi.Api.Features.Migrations;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Infrastructure.VmMigrations;

namespace IaasApi.Api.Features.Instances;

/// <summary>
/// <c>POST /v1/instances/{id}/actions/migrate</c> (admin): 202 with the migration (<c>/v1/migrations/{id}</c>, where it is
/// followed and steered); Infrastructure's <see cref="MigrationStarter"/> does the work.
/// </summary>
public static class MigrateInstance
{
    /// <summary>
    /// Chooses the target now (409 <c>no-valid-host</c> with the filters' reasons if none), then in one transaction the
    /// instance goes <c>migrating</c>, the migration and its operation are stored; the job does the rest.
    /// </summary>
    public static async Task<Accepted<MigrationResponse>> Handle(Guid id, MigrateRequest req, Caller caller, IaasDbContext db, MigrationStarter starter,
                                                                 HttpContext http, CancellationToken ct)
    {
        var instance = await db.Instances.AsNoTracking().GetAsync(id, "instance", ct);
        // Unsaid: live for a running instance, cold for a stopped one.
        var type = req.Type ?? (instance.Status == InstanceStatus.Stopped ? MigrationType.Cold : MigrationType.Live);
        if (type == MigrationType.Cold && req.MaxDowntimeMs is not null)
            throw new FieldValidationException("maxDowntimeMs", "A cold migration stops the VM; 'maxDowntimeMs' applies to live migration only.");
        ETags.CheckIfMatch(http, instance.Version);
        var migration = type == MigrationType.Storage
            ? await starter.StartStorageAsync(id, req.TargetPoolId!.Value, req.BandwidthMbps, caller.Actor, ct)
            : await starter.StartAsync(id, type, req.TargetHostId, req.MaxDowntimeMs, req.BandwidthMbps, caller.Actor, ct);
        ETags.Set(http, migration.Version);
        return TypedResults.Accepted($"/v1/migrations/{migration.Id}", MigrationResponse.From(migration));
    }
}
