using IaasApi.Domain.Common;

namespace IaasApi.Domain.Placement;

/// <summary>No host can take the instance. Carries the per-filter trace, which the API returns as <c>eliminations</c>.</summary>
public sealed class NoValidHostException(IReadOnlyList<FilterStep> trace, string? detail = null)
    : DomainException(detail ?? Describe(trace))
{
    public IReadOnlyList<FilterStep> Trace { get; } = trace;

    private static string Describe(IReadOnlyList<FilterStep> trace) =>
        trace.LastOrDefault(s => s.After == 0) is { } step
            ? $"No valid host was found: the '{step.Filter}' filter eliminated the last {step.Before} candidate(s)."
            : "No valid host was found.";
}
