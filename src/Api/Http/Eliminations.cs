using IaasApi.Domain.Placement;

namespace IaasApi.Api.Http;

/// <summary>How a filter step is shown: counts to everyone; to admins also the eliminated hosts and the reasons.</summary>
public static class Eliminations
{
    /// <summary>At 10,000 hosts a filter may drop thousands: the detail is capped, the count is always exact.</summary>
    public const int MaxHostsPerFilter = 100;

    public static object Counts(FilterStep s) => new { filter = s.Filter, before = s.Before, after = s.After };

    public static object Detailed(FilterStep s)
    {
        var hosts = s.Eliminated ?? [];
        return new
        {
            filter = s.Filter,
            before = s.Before,
            after = s.After,
            eliminatedHostIds = hosts.Take(MaxHostsPerFilter).Select(e => e.HostId).ToList(),
            eliminatedHosts = hosts.Take(MaxHostsPerFilter).Select(e => new { hostId = e.HostId, hostName = e.HostName, reason = e.Reason }).ToList(),
            truncated = hosts.Count > MaxHostsPerFilter,
        };
    }
}
