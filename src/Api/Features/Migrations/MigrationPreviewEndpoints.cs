using IaasApi.Domain.Migrations;
using IaasApi.Infrastructure.VmMigrations;

namespace IaasApi.Api.Features.Migrations;

/// <summary>
/// <c>POST /v1/migrations/preview</c> (admin): predicts a migration — the target, how pre-copy would converge under each
/// escalation, the downtime — without claiming or moving anything.
/// </summary>
public static class MigrationPreviewEndpoints
{
    public static void MapMigrationPreview(this RouteGroupBuilder v1) =>
        v1.MapGroup("/migrations").WithTags("Migrations").RequireAuthorization(AuthorizationPolicies.Admin)
          .MapPost("/preview", Preview).Validate<MigrationPreviewRequest>().WithName("PreviewMigration").ProducesProblem(404).ProducesProblem(409);

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
            Math.Round(r.FinalThrottle, 2), r.Detail, r.Rounds.Select(PreCopyRoundDto.From).ToList());

    private static double R(double value) => Math.Round(value, 1);
}
