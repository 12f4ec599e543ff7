using FluentValidation;
using IaasApi.Api.Http;
using IaasApi.Domain.Common;
using IaasApi.Domain.Migrations;
using IaasApi.Infrastructure.Migrations;

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
/// Migrations (admin). Today: <c>POST /v1/migrations/preview</c> — where an instance would go, and what a live migration
/// there would cost (time, downtime, rounds) under each escalation, from the pre-copy model and the guest's memory
/// behaviour as its driver reports it. Nothing is claimed or moved.
/// </summary>
public static class MigrationsEndpoints
{
    public static void MapMigrations(this RouteGroupBuilder v1)
    {
        v1.MapPost("/migrations/preview", Preview).WithTags("Migrations").WithName("PreviewMigration")
          .Validate<MigrationPreviewRequest>().RequireAuthorization(AuthorizationPolicies.Admin).ProducesProblem(404).ProducesProblem(409);
    }

    private static async Task<IResult> Preview(MigrationPreviewRequest req, MigrationPlanner planner, CancellationToken ct)
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
            Math.Round(r.FinalThrottle, 2), r.Detail,
            r.Rounds.Select(x => new PreCopyRoundDto(x.Number, R(x.SentMiB), R(x.DurationMs), R(x.DirtyRateMiBps), R(x.RemainingMiB),
                                                     R(x.ExpectedDowntimeMs), Math.Round(x.Throttle, 2))).ToList());

    private static double R(double value) => Math.Round(value, 1);
}
