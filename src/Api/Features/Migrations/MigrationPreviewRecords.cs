namespace IaasApi.Api.Features.Migrations;

public sealed record MigrationPreviewRequest(Guid? InstanceId, Guid? TargetHostId, int? MaxDowntimeMs, int? BandwidthMbps);

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

public sealed record GuestMemoryDto(double MemoryMiB, double TouchedMiB, double WorkingSetMiB, double DirtyRateMiBps);

/// <summary>One predicted migration: how it ends under <see cref="Escalation"/>, how long, what it costs the guest.</summary>
public sealed record PredictionDto(string Escalation, string Outcome, double TotalMs, double DowntimeMs, double TransferredMiB, int RoundCount,
                                   double FinalThrottle, string Detail, IReadOnlyList<PreCopyRoundDto> Rounds);

public sealed record MigrationPreviewResponse(Guid InstanceId, Guid SourceHostId, Guid TargetHostId, string TargetHostName, GuestMemoryDto? Guest,
                                              double BandwidthMiBps, int MaxDowntimeMs, string RecommendedType, string? RecommendedEscalation,
                                              string Recommendation, PredictionDto? Prediction, IReadOnlyList<PredictionDto> Alternatives);
