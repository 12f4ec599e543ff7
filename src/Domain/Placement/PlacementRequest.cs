using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Domain.ServerGroups;

namespace IaasApi.Domain.Placement;

/// <summary>
/// What one instance needs from a host: resources, where, on what kind of hypervisor with which capabilities,
/// CPU, traits, and its server group's rules. Unset requirements cost nothing: their filters are skipped.
/// </summary>
public sealed record PlacementRequest(Resources Demand, PlacementStrategy Strategy, Guid? ZoneId = null, Guid? RegionId = null)
{
    public IReadOnlySet<Guid> ExcludedHosts { get; init; } = EmptyGuids;

    /// <summary>A hypervisor kind the image insists on (null: any).</summary>
    public string? RequiredHypervisor { get; init; }

    // Requirement lists are arrays, not sets: filters iterate them for every host, and a foreach over an interface
    // boxes an enumerator each time (measured: one allocation per host per decision).

    /// <summary>Driver capabilities the SLA plan needs ("live-migration"...).</summary>
    public string[] RequiredCapabilities { get; init; } = [];

    /// <summary>A CPU model the image or flavor needs (exact, case-insensitive), or null.</summary>
    public string? RequiredCpuModel { get; init; }

    public string[] RequiredCpuFeatures { get; init; } = [];
    public string[] RequiredTraits { get; init; } = [];
    public string[] ForbiddenTraits { get; init; } = [];

    /// <summary>The instance's server group, with where its members already run.</summary>
    public GroupPlacement? Group { get; init; }

    /// <summary>The cloud-wide cap on instances per host (0: none).</summary>
    public int MaxInstancesPerHost { get; init; }

    /// <summary>
    /// A preemptible instance (its plan says so) may borrow capacity that reservations hold; others must also fit
    /// beside every future reservation.
    /// </summary>
    public bool Preemptible { get; init; }

    private static readonly IReadOnlySet<Guid> EmptyGuids = new HashSet<Guid>();
}

/// <summary>A server group as placement needs it: the policy, the per-host cap, and how many members each host holds.</summary>
public sealed record GroupPlacement(Guid GroupId, ServerGroupPolicy Policy, int? MaxPerHost, IReadOnlyDictionary<Guid, int> MembersPerHost)
{
    public int MembersOn(Guid hostId) => MembersPerHost.TryGetValue(hostId, out var n) ? n : 0;

    public int TotalMembers => MembersPerHost.Values.Sum();

    /// <summary>The group after one more member lands on <paramref name="hostId"/> (batches place members one by one).</summary>
    public GroupPlacement WithMember(Guid hostId)
    {
        var members = new Dictionary<Guid, int>(MembersPerHost);
        members[hostId] = MembersOn(hostId) + 1;
        return this with { MembersPerHost = members };
    }
}
