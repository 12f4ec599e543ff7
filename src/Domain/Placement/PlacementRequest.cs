using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;

namespace IaasApi.Domain.Placement;

/// <summary>What one instance needs from a host, and the preferences the SLA plan adds.</summary>
public sealed record PlacementRequest(
    Resources Demand,
    PlacementStrategy Strategy,
    Guid? ZoneId = null,
    Guid? RegionId = null)
{
    public IReadOnlySet<Guid> ExcludedHosts { get; init; } = new HashSet<Guid>();

    /// <summary>Hypervisor kinds acceptable for this request (null: any).</summary>
    public IReadOnlySet<string>? Hypervisors { get; init; }
}
