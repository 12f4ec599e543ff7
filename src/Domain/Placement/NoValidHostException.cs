using IaasApi.Domain.Common;

namespace IaasApi.Domain.Placement;

/// <summary>No host can take the instance. Carries the per-filter trace, which the API returns as <c>eliminations</c>.</summary>
public sealed class NoValidHostException(IReadOnlyList<FilterStep> trace, string? detail = null)
    : DomainException(detail ?? Describe(trace))
{
    public IReadOnlyList<FilterStep> Trace { get; } = trace;

    /// <summary>The filter that eliminated the last candidates (null when there were none to eliminate).</summary>
    public string? EliminatingFilter => Emptying(Trace)?.Filter;

    /// <summary>Which filter emptied the candidate list, as a clause ("the 'vcpus' filter eliminated the last 3 candidate(s)").</summary>
    public static string Reason(IReadOnlyList<FilterStep> trace) =>
        Emptying(trace) is { } step
            ? $"the '{step.Filter}' filter eliminated the last {step.Before} candidate(s)"
            : "no host was a candidate";

    private static string Describe(IReadOnlyList<FilterStep> trace) =>
        Emptying(trace) is not null ? $"No valid host was found: {Reason(trace)}." : "No valid host was found.";

    private static FilterStep? Emptying(IReadOnlyList<FilterStep> trace) => trace.LastOrDefault(s => s.After == 0);
}
