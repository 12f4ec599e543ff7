using FluentValidation;
using IaasApi.Api.Http;
using IaasApi.Domain.Common;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Jobs;
using IaasApi.Infrastructure.Migrations;
using IaasApi.Infrastructure.Persistence;
using IaasApi.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IaasApi.Api.Features.Migrations;

public sealed record MigrationPreviewRequest(Guid? InstanceId, Guid? TargetHostId, int? MaxDowntimeMs, int? BandwidthMbps);

public sealed record GuestMemoryDto(double MemoryMiB, double TouchedMiB, double WorkingSetMiB, double DirtyRateMiBps);

public sealed record PreCopyRoundDto(int Round, double SentMiB, double DurationMs, double DirtyRateMiBps, double RemainingMiB,
                                     double ExpectedDowntimeMs, double Throttle);

/// <summary>One predicted migration: how it ends under <see cref="Escalation"/>, how long, what it costs the guest.</summary>
public sealed record PredictionDto(string Escalation, string Outcome, double TotalMs, double DowntimeMs, double TransferredMiB, int RoundCount,
                                   double FinalThrottle, string Detail, IReadOnlyList<PreCopyRoundDto> Rounds);

public sealed record MigrationPreviewResponse(Guid InstanceId, Guid SourceHostId, Guid TargetHostId, string TargetHostName, GuestMemoryDto? Guest,
                                              double BandwidthMiBps, int MaxDowntimeMs, string RecommendedType, string? RecommendedEscalation,
                                              string Recommendation, PredictionDto? Prediction, IReadOnlyList<PredictionDto> Alternatives);

public sealed record MigrateRequest(MigrationType? Type, Guid? TargetHostId, int? MaxDowntimeMs, int? BandwidthMbps, Guid? TargetPoolId = null);

public sealed class MigrateValidator : AbstractValidator<MigrateRequest>
{
    public MigrateValidator()
    {
        RuleFor(x => x.TargetHostId).NotEqual(Guid.Empty);
        RuleFor(x => x.MaxDowntimeMs).InclusiveBetween(1, 600_000);
        RuleFor(x => x.BandwidthMbps).InclusiveBetween(1, 10_000_000);
        RuleFor(x => x.TargetPoolId).NotEqual(Guid.Empty);
        RuleFor(x => x.TargetPoolId).NotNull().When(x => x.Type == MigrationType.Storage).WithMessage("A storage migration names the pool the disk moves to.");
        RuleFor(x => x.TargetPoolId).Null().When(x => x.Type != MigrationType.Storage).WithMessage("'targetPoolId' is for storage migrations.");
        RuleFor(x => x.TargetHostId).Null().When(x => x.Type == MigrationType.Storage).WithMessage("A storage migration keeps the VM on its host.");
        RuleFor(x => x.MaxDowntimeMs).Null().When(x => x.Type == MigrationType.Storage).WithMessage("A storage migration does not pause the VM.");
    }
}

public sealed record MigrationStageDto(string Stage, DateTimeOffset StartedAt, DateTimeOffset? EndedAt);

/// <summary>A migration as admins read it: where it stands, every stage with its times, every pre-copy round.</summary>
public sealed record MigrationResponse(Guid Id, Guid InstanceId, Guid TenantId, string Type, string Status, string? Stage, int Progress,
                                       Guid SourceHostId, Guid? TargetHostId, int? MaxDowntimeMs, int? BandwidthMbps, string Escalation,
                                       IReadOnlyList<MigrationStageDto> Stages, IReadOnlyList<PreCopyRoundDto> Rounds, double? DowntimeMs,
                                       string? PreCopyOutcome, string? Reason, bool CancelRequested, bool ForceCompleteRequested, Guid? OperationId,
                                       DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
                                       bool RestartOnTarget, double? DiskCopiedMiB, double? DiskTotalMiB, Guid? SourcePoolId, Guid? TargetPoolId,
                                       double? HypervisorTotalMs, double? TransferredMiB, double? RemainingMiB)
{
    public static MigrationResponse From(Migration m) =>
        new(m.Id, m.InstanceId, m.TenantId, EnumWords.ToWord(m.Type), EnumWords.ToWord(m.Status), m.Stage is { } s ? EnumWords.ToWord(s) : null,
            m.Percent(), m.SourceHostId, m.TargetHostId, m.MaxDowntimeMs, m.BandwidthMbps, EnumWords.ToWord(m.Escalation),
            m.Stages.Select(x => new MigrationStageDto(EnumWords.ToWord(x.Stage), x.StartedAt, x.EndedAt)).ToList(),
            m.Rounds.Select(MigrationsEndpoints.Round).ToList(), m.DowntimeMs is { } d ? Math.Round(d, 1) : null,
            m.PreCopyOutcome is { } o ? EnumWords.ToWord(o) : null, m.Reason.Length > 0 ? m.Reason : null, m.CancelRequested,
            m.ForceCompleteRequested, m.OperationId, m.StartedAt, m.EndedAt, m.CreatedAt, m.UpdatedAt, m.RestartOnTarget,
            m.DiskCopiedMiB is { } c ? Math.Round(c, 1) : null, m.DiskTotalMiB is { } total ? Math.Round(total, 1) : null, m.SourcePoolId, m.TargetPoolId,
            m.HypervisorTotalMs is { } h ? Math.Round(h, 1) : null, m.TransferredMiB is { } t ? Math.Round(t, 1) : null,
            m.RemainingMiB is { } r ? Math.Round(r, 1) : null);
}

public sealed record ConsolidationRequest(Guid? ZoneId);

public sealed class ConsolidationValidator : AbstractValidator<ConsolidationRequest>
{
    public ConsolidationValidator() => RuleFor(x => x.ZoneId).NotNull().NotEqual(Guid.Empty);
}

public sealed record PlannedMoveDto(Guid InstanceId, Guid FromHostId, Guid ToHostId, double EstimatedMs);

/// <summary>A consolidation dry run: hosts that would be freed, the migrations that free them, the batch's estimated time.</summary>
public sealed record ConsolidationResponse(Guid ZoneId, int HostsConsidered, int HostsFreed, IReadOnlyList<Guid> FreedHostIds, int Migrations,
                                           double EstimatedTotalMs, int FirstFitDecreasingFreed, IReadOnlyList<PlannedMoveDto> Moves);

/// <summary>A rebalancing request: the zone, and optionally the target imbalance and the most migrations the plan may hold.</summary>
public sealed record RebalanceRequest(Guid? ZoneId, double? TargetImbalance, int? MaxMoves);

public sealed class RebalanceValidator : AbstractValidator<RebalanceRequest>
{
    public RebalanceValidator()
    {
        RuleFor(x => x.ZoneId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.TargetImbalance).InclusiveBetween(0, 1);
        RuleFor(x => x.MaxMoves).InclusiveBetween(0, 10_000);
    }
}

public sealed record HostLoadDto(Guid HostId, double Before, double After);

/// <summary>A rebalancing dry run: the imbalance (standard deviation of the hosts' dominant shares) before and after, and the moves.</summary>
public sealed record RebalanceResponse(Guid ZoneId, int HostsConsidered, double TargetImbalance, double ImbalanceBefore, double ImbalanceAfter,
                                       int Migrations, double EstimatedTotalMs, IReadOnlyList<PlannedMoveDto> Moves, IReadOnlyList<HostLoadDto> Hosts);

/// <summary>A plan being executed: the operation that carries it (poll it) and the plan it executes.</summary>
public sealed record PlanExecutionResponse(Guid OperationId, object Plan);

public sealed class MigrationPreviewValidator : AbstractValidator<MigrationPreviewRequest>
{
    public MigrationPreviewValidator()
    {
        RuleFor(x => x.InstanceId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.TargetHostId).NotEqual(Guid.Empty);
        RuleFor(x => x.MaxDowntimeMs).InclusiveBetween(1, 600_000);
        RuleFor(x => x.BandwidthMbps).InclusiveBetween(1, 10_000_000);
    }
}

/// <summary>
/// Migrations (admin): <c>POST /v1/instances/{id}/actions/migrate</c> starts one (mapped with the instance's actions,
/// <c>Instances/MigrateInstance.cs</c>; 202 with the migration, its stages run in a job), <c>/v1/migrations</c> lists and
/// reads them with live progress, <c>actions/cancel</c> and <c>actions/force-complete</c> steer a running one, and <c>POST /v1/migrations/preview</c> predicts one without
/// claiming or moving anything.
/// </summary>
public static class MigrationsEndpoints
{
    public static void MapMigrations(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/migrations").WithTags("Migrations").RequireAuthorization(AuthorizationPolicies.Admin);
        group.MapPost("/preview", Preview).Validate<MigrationPreviewRequest>().WithName("PreviewMigration").ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/", List).WithName("ListMigrations");
        v1.MapPost("/planners/consolidation", Consolidation).WithTags("Migrations").WithName("PlanConsolidation")
          .Validate<ConsolidationRequest>().RequireAuthorization(AuthorizationPolicies.Admin).ProducesProblem(404);
        v1.MapPost("/planners/consolidation/execute", ExecuteConsolidation).WithTags("Migrations").WithName("ExecuteConsolidation")
          .Validate<ConsolidationRequest>().RequireAuthorization(AuthorizationPolicies.Admin)
          .ProducesProblem(404).ProducesProblem(409);
        v1.MapPost("/planners/rebalance", Rebalance).WithTags("Migrations").WithName("PlanRebalance")
          .Validate<RebalanceRequest>().RequireAuthorization(AuthorizationPolicies.Admin).ProducesProblem(404);
        v1.MapPost("/planners/rebalance/execute", ExecuteRebalance).WithTags("Migrations").WithName("ExecuteRebalance")
          .Validate<RebalanceRequest>().RequireAuthorization(AuthorizationPolicies.Admin)
          .ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/{id:guid}", Get).WithName("GetMigration").ProducesProblem(404);
        group.MapPost("/{id:guid}/actions/{action:regex(^(cancel|force-complete)$)}", Steer).WithName("MigrationAction")
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

    private static async Task<Ok<MigrationPreviewResponse>> Preview(MigrationPreviewRequest req, MigrationPlanner planner, CancellationToken ct)
    {
        var p = await planner.PreviewAsync(req.InstanceId!.Value, req.TargetHostId, req.MaxDowntimeMs, req.BandwidthMbps, ct);
        return TypedResults.Ok(new MigrationPreviewResponse(p.InstanceId, p.Source.Id, p.Target.Id, p.Target.Name,
            p.Guest is { } g ? new GuestMemoryDto(R(g.MemoryMiB), R(g.TouchedMiB), R(g.WorkingSetMiB), R(g.DirtyRateMiBps)) : null,
            R(p.Link.BandwidthMiBps), p.Policy.MaxDowntimeMs, EnumWords.ToWord(p.RecommendedType),
            p.RecommendedEscalation is { } e ? EnumWords.ToWord(e) : null, p.Recommendation,
            p.Prediction is { } prediction ? Dto(p.Policy.Escalation, prediction) : null,
            p.Alternatives.OrderBy(a => a.Key).Select(a => Dto(a.Key, a.Value)).ToList()));
    }

    private static PredictionDto Dto(ConvergenceEscalation escalation, PreCopyResult r) =>
        new(EnumWords.ToWord(escalation), EnumWords.ToWord(r.Outcome), R(r.TotalMs), R(r.DowntimeMs), R(r.TransferredMiB), r.Rounds.Count,
            Math.Round(r.FinalThrottle, 2), r.Detail, r.Rounds.Select(Round).ToList());

    internal static PreCopyRoundDto Round(PreCopyRound x) =>
        new(x.Number, R(x.SentMiB), R(x.DurationMs), R(x.DirtyRateMiBps), R(x.RemainingMiB), R(x.ExpectedDowntimeMs), Math.Round(x.Throttle, 2));

    private static double R(double value) => Math.Round(value, 1);
}
