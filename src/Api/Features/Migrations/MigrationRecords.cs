using IaasApi.Domain.Migrations;

namespace IaasApi.Api.Features.Migrations;

/// <summary>The body of <c>POST /v1/instances/{id}/actions/migrate</c> (mapped with the instance's actions).</summary>
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

public sealed record PreCopyRoundDto(int Round, double SentMiB, double DurationMs, double DirtyRateMiBps, double RemainingMiB,
                                     double ExpectedDowntimeMs, double Throttle)
{
    public static PreCopyRoundDto From(PreCopyRound x) =>
        new(x.Number, R(x.SentMiB), R(x.DurationMs), R(x.DirtyRateMiBps), R(x.RemainingMiB), R(x.ExpectedDowntimeMs), Math.Round(x.Throttle, 2));

    private static double R(double value) => Math.Round(value, 1);
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
            m.Rounds.Select(PreCopyRoundDto.From).ToList(), m.DowntimeMs is { } d ? Math.Round(d, 1) : null,
            m.PreCopyOutcome is { } o ? EnumWords.ToWord(o) : null, m.Reason.Length > 0 ? m.Reason : null, m.CancelRequested,
            m.ForceCompleteRequested, m.OperationId, m.StartedAt, m.EndedAt, m.CreatedAt, m.UpdatedAt, m.RestartOnTarget,
            m.DiskCopiedMiB is { } c ? Math.Round(c, 1) : null, m.DiskTotalMiB is { } total ? Math.Round(total, 1) : null, m.SourcePoolId, m.TargetPoolId,
            m.HypervisorTotalMs is { } h ? Math.Round(h, 1) : null, m.TransferredMiB is { } t ? Math.Round(t, 1) : null,
            m.RemainingMiB is { } r ? Math.Round(r, 1) : null);
}
