namespace IaasApi.Api.Features.Migrations;

public sealed record ConsolidationRequest(Guid? ZoneId);

public sealed class ConsolidationValidator : AbstractValidator<ConsolidationRequest>
{
    public ConsolidationValidator() => RuleFor(x => x.ZoneId).NotNull().NotEqual(Guid.Empty);
}

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

public sealed record PlannedMoveDto(Guid InstanceId, Guid FromHostId, Guid ToHostId, double EstimatedMs);

/// <summary>A consolidation dry run: hosts that would be freed, the migrations that free them, the batch's estimated time.</summary>
public sealed record ConsolidationResponse(Guid ZoneId, int HostsConsidered, int HostsFreed, IReadOnlyList<Guid> FreedHostIds, int Migrations,
                                           double EstimatedTotalMs, int FirstFitDecreasingFreed, IReadOnlyList<PlannedMoveDto> Moves);

public sealed record HostLoadDto(Guid HostId, double Before, double After);

/// <summary>A rebalancing dry run: the imbalance (standard deviation of the hosts' dominant shares) before and after, and the moves.</summary>
public sealed record RebalanceResponse(Guid ZoneId, int HostsConsidered, double TargetImbalance, double ImbalanceBefore, double ImbalanceAfter,
                                       int Migrations, double EstimatedTotalMs, IReadOnlyList<PlannedMoveDto> Moves, IReadOnlyList<HostLoadDto> Hosts);

/// <summary>A plan being executed: the operation that carries it (poll it) and the plan it executes.</summary>
public sealed record PlanExecutionResponse(Guid OperationId, object Plan);
