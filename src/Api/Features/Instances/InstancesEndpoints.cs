using IaasApi.Api.Features.Migrations;
using IaasApi.Api.Features.Snapshots;

namespace IaasApi.Api.Features.Instances;

public static class InstancesEndpoints
{
    public static void MapInstances(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/instances").WithTags("Instances");
        group.MapPost("/", CreateInstance.Handle).Validate<CreateInstanceRequest>().WithName("CreateInstance")
             .ProducesProblem(404).ProducesProblem(409).ProducesProblem(422);
        group.MapGet("/", InstanceQueries.List).WithName("ListInstances");
        group.MapGet("/{id:guid}", InstanceQueries.Get).WithName("GetInstance").ProducesProblem(404);
        group.MapDelete("/{id:guid}", InstanceActions.Delete).WithName("DeleteInstance")
             .ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
        group.MapGet("/{id:guid}/actions", InstanceQueries.Actions).WithName("ListInstanceActions").ProducesProblem(404);
        // Every /v1/instances/{id}/actions/* route is mapped here, whichever feature does the work. (Restore and migrate
        // first: the 404 for an unknown action lists the actions in this order.)
        group.MapPost("/{id:guid}/actions/restore", RestoreInstance.Handle).Validate<RestoreSnapshotRequest>().WithName("RestoreInstance")
             .ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
        group.MapPost("/{id:guid}/actions/migrate", MigrateInstance.Handle).Validate<MigrateRequest>().WithTags("Migrations")
             .RequireAuthorization(AuthorizationPolicies.Admin).WithName("MigrateInstance").ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/{id:guid}/actions/reset-state", InstanceActions.ResetState).Validate<ResetStateRequest>()
             .RequireAuthorization(AuthorizationPolicies.Admin).WithName("ResetInstanceState")
             .ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
        group.MapPost("/{id:guid}/actions/{action:regex(^(start|stop|reboot)$)}", InstanceActions.Power).WithName("InstanceAction")
             .ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
    }
}
