using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure;
using IaasApi.Infrastructure.Operations;
using IaasApi.Infrastructure.VmMigrations;
using Microsoft.Extensions.Options;

namespace IaasApi.Api.Features.Migrations;

/// <summary>
/// Planners (admin): <c>POST /v1/planners/consolidation</c> and <c>/rebalance</c> plan a zone's migrations as a dry run;
/// <c>…/execute</c> stores the plan on an operation whose job runs it.
/// </summary>
public static class PlannerEndpoints
{
    public static void MapPlanners(this RouteGroupBuilder v1)
    {
        var planners = v1.MapGroup("/planners").WithTags("Migrations").RequireAuthorization(AuthorizationPolicies.Admin);
        planners.MapPost("/consolidation", Consolidation).Validate<ConsolidationRequest>().WithName("PlanConsolidation").ProducesProblem(404);
        planners.MapPost("/consolidation/execute", ExecuteConsolidation).Validate<ConsolidationRequest>().WithName("ExecuteConsolidation")
                .ProducesProblem(404).ProducesProblem(409);
        planners.MapPost("/rebalance", Rebalance).Validate<RebalanceRequest>().WithName("PlanRebalance").ProducesProblem(404);
        planners.MapPost("/rebalance/execute", ExecuteRebalance).Validate<RebalanceRequest>().WithName("ExecuteRebalance")
                .ProducesProblem(404).ProducesProblem(409);
    }

    private static async Task<Ok<ConsolidationResponse>> Consolidation(ConsolidationRequest req, MigrationPlanner planner, CancellationToken ct) =>
        TypedResults.Ok((await ConsolidationPlanAsync(req, planner, ct)).Response);

    private static async Task<(ConsolidationResponse Response, StoredPlan Stored)> ConsolidationPlanAsync(ConsolidationRequest req,
        MigrationPlanner planner, CancellationToken ct)
    {
        var (plan, hosts, ffd) = await planner.ConsolidationAsync(req.ZoneId!.Value, ct);
        var response = new ConsolidationResponse(req.ZoneId.Value, hosts, plan.FreedHosts.Count, plan.FreedHosts, plan.Moves.Count,
            R(plan.EstimatedTotalMs), ffd, Moves(plan.Moves));
        return (response, new StoredPlan(OperationKinds.ZoneConsolidate, req.ZoneId.Value, plan.Moves, plan.FreedHosts, plan.EstimatedTotalMs));
    }

    private static async Task<Ok<RebalanceResponse>> Rebalance(RebalanceRequest req, MigrationPlanner planner, IOptions<IaasOptions> options,
                                                               CancellationToken ct) =>
        TypedResults.Ok((await RebalancePlanAsync(req, planner, options.Value.Rebalance, ct)).Response);

    private static async Task<(RebalanceResponse Response, StoredPlan Stored)> RebalancePlanAsync(RebalanceRequest req, MigrationPlanner planner,
        RebalanceOptions defaults, CancellationToken ct)
    {
        var target = req.TargetImbalance ?? defaults.TargetImbalance;
        var (plan, hosts) = await planner.RebalanceAsync(req.ZoneId!.Value, target, req.MaxMoves ?? defaults.MaxMoves, ct);
        var response = new RebalanceResponse(req.ZoneId.Value, hosts, target, Math.Round(plan.ImbalanceBefore, 4), Math.Round(plan.ImbalanceAfter, 4),
            plan.Moves.Count, R(plan.EstimatedTotalMs), Moves(plan.Moves),
            plan.LoadBefore.Select(l => new HostLoadDto(l.Key, Math.Round(l.Value, 4), Math.Round(plan.LoadAfter[l.Key], 4))).ToList());
        return (response, new StoredPlan(OperationKinds.ZoneRebalance, req.ZoneId.Value, plan.Moves, [], plan.EstimatedTotalMs,
            plan.ImbalanceBefore, plan.ImbalanceAfter));
    }

    private static async Task<Accepted<PlanExecutionResponse>> ExecuteConsolidation(ConsolidationRequest req, MigrationPlanner planner,
                                                                                    IaasDbContext db, JobDispatcher dispatcher, CancellationToken ct)
    {
        var (response, stored) = await ConsolidationPlanAsync(req, planner, ct);
        return await ExecuteAsync(stored, response, db, dispatcher, ct);
    }

    private static async Task<Accepted<PlanExecutionResponse>> ExecuteRebalance(RebalanceRequest req, MigrationPlanner planner,
                                                                                IOptions<IaasOptions> options, IaasDbContext db,
                                                                                JobDispatcher dispatcher, CancellationToken ct)
    {
        var (response, stored) = await RebalancePlanAsync(req, planner, options.Value.Rebalance, ct);
        return await ExecuteAsync(stored, response, db, dispatcher, ct);
    }

    /// <summary>
    /// One plan runs per zone at a time: asking again for the same kind while it runs returns that operation; another
    /// kind is <c>409</c>. Otherwise the plan is stored on a new operation whose job executes it.
    /// </summary>
    private static async Task<Accepted<PlanExecutionResponse>> ExecuteAsync(StoredPlan stored, object response, IaasDbContext db,
                                                                            JobDispatcher dispatcher, CancellationToken ct)
    {
        var running = await db.Operations.AsNoTracking()
            .Where(o => o.ResourceId == stored.ZoneId && (o.Kind == OperationKinds.ZoneConsolidate || o.Kind == OperationKinds.ZoneRebalance)
                        && o.Status == Domain.Operations.OperationStatus.Running)
            .FirstOrDefaultAsync(ct);
        if (running is not null)
        {
            if (running.Kind != stored.Kind)
                throw new InvalidStateException($"A {running.Kind} of this zone is running (operation {running.Id}); wait for it to end.");
            return TypedResults.Accepted($"/v1/operations/{running.Id}", new PlanExecutionResponse(running.Id, StoredPlan.From(running)));
        }
        var op = new Operation(stored.Kind, "zone", stored.ZoneId, null, null, db.Clock.GetUtcNow())
        {
            Queue = JobDispatcher.ControlQueue,
            Parameters = stored.ToJson(),
        };
        db.Operations.Add(op);
        await db.SaveChangesAsync(ct);
        await dispatcher.DispatchAsync(op, CancellationToken.None);
        return TypedResults.Accepted($"/v1/operations/{op.Id}", new PlanExecutionResponse(op.Id, response));
    }

    private static List<PlannedMoveDto> Moves(IEnumerable<PlannedMove> moves) =>
        moves.Select(m => new PlannedMoveDto(m.InstanceId, m.From, m.To, R(m.MigrationMs))).ToList();

    private static double R(double value) => Math.Round(value, 1);
}
