using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;

namespace IaasApi.Domain.Placement;

public static class PlacementRequests
{
    /// <summary>
    /// The placement request for one instance of <paramref name="flavor"/> booting <paramref name="image"/> under
    /// <paramref name="plan"/>: the flavor's and image's requirements combined, the plan's capabilities and strategy.
    /// Contradictions between flavor and image are the caller's error (400), not a host shortage.
    /// </summary>
    public static PlacementRequest For(Flavor flavor, Image image, SlaPlan plan, Guid? zoneId, GroupPlacement? group, int maxInstancesPerHost)
    {
        if (flavor.RequiredCpuModel is { } a && image.RequiredCpuModel is { } b && !string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
            throw new FieldValidationException("imageId", $"Image '{image.Name}' needs CPU model '{b}' but flavor '{flavor.Name}' needs '{a}'.");
        var required = Union(flavor.RequiredTraits, image.RequiredTraits);
        var forbidden = Union(flavor.ForbiddenTraits, image.ForbiddenTraits);
        if (required.Intersect(forbidden, StringComparer.Ordinal).FirstOrDefault() is { } both)
            throw new FieldValidationException("imageId", $"Trait '{both}' is both required and forbidden by flavor '{flavor.Name}' and image '{image.Name}'.");

        return new PlacementRequest(flavor.Resources, plan.PlacementStrategy, zoneId)
        {
            RequiredHypervisor = image.Hypervisor,
            RequiredCapabilities = plan.RequiredCapabilities.Distinct(StringComparer.Ordinal).ToArray(),
            RequiredCpuModel = flavor.RequiredCpuModel ?? image.RequiredCpuModel,
            RequiredCpuFeatures = Union(flavor.RequiredCpuFeatures, image.RequiredCpuFeatures),
            RequiredTraits = required,
            ForbiddenTraits = forbidden,
            Group = group,
            MaxInstancesPerHost = maxInstancesPerHost,
            Preemptible = plan.Preemptible,
        };
    }

    /// <summary>
    /// Which hosts may hold a reservation's slots for <paramref name="flavor"/> under <paramref name="plan"/>: the same
    /// host filters as an instance, with no demand (the reservation's capacity is checked on the timeline instead).
    /// </summary>
    public static PlacementRequest ForReservation(Flavor flavor, SlaPlan plan, Guid zoneId) =>
        new(Resources.Zero, plan.PlacementStrategy, zoneId)
        {
            RequiredCapabilities = plan.RequiredCapabilities.Distinct(StringComparer.Ordinal).ToArray(),
            RequiredCpuModel = flavor.RequiredCpuModel,
            RequiredCpuFeatures = Union(flavor.RequiredCpuFeatures, []),
            RequiredTraits = Union(flavor.RequiredTraits, []),
            ForbiddenTraits = Union(flavor.ForbiddenTraits, []),
            Preemptible = true,
        };

    private static string[] Union(IEnumerable<string> a, IEnumerable<string> b) =>
        a.Concat(b).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
}
