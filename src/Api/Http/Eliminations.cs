using System.Text.Json.Serialization;
using IaasApi.Domain.Placement;

namespace IaasApi.Api.Http;

/// <summary>One host a filter dropped, and why.</summary>
public sealed record EliminatedHost(Guid HostId, string HostName, string Reason);

/// <summary>
/// One filter step of <c>eliminations</c>: counts for everyone; for admins (and previews) also the eliminated hosts
/// with reasons, capped per filter (the counts stay exact).
/// </summary>
public sealed record EliminationStep(
    string Filter, int Before, int After,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Guid>? EliminatedHostIds = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<EliminatedHost>? EliminatedHosts = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Truncated = null);

public static class Eliminations
{
    /// <summary>At 10,000 hosts a filter may drop thousands: the detail is capped, the count is always exact.</summary>
    public const int MaxHostsPerFilter = 100;

    public static EliminationStep Counts(FilterStep s) => new(s.Filter, s.Before, s.After);

    public static EliminationStep Detailed(FilterStep s)
    {
        var hosts = s.Eliminated ?? [];
        var shown = hosts.Take(MaxHostsPerFilter).ToList();
        return new EliminationStep(s.Filter, s.Before, s.After, shown.Select(e => e.HostId).ToList(),
            shown.Select(e => new EliminatedHost(e.HostId, e.HostName, e.Reason)).ToList(), hosts.Count > MaxHostsPerFilter);
    }
}
