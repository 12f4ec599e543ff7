using IaasApi.Domain.Catalog;

namespace IaasApi.Domain.Placement;

/// <summary>Multipliers per weigher. The SLA plan's placement strategy picks the profile.</summary>
public sealed record PlacementProfile(IReadOnlyDictionary<string, double> Multipliers)
{
    public double Multiplier(string weigher) => Multipliers.TryGetValue(weigher, out var m) ? m : 0.0;

    public static PlacementProfile Spread { get; } = new(new Dictionary<string, double> { [WeigherNames.FreeMemory] = 1.0 });
    public static PlacementProfile Pack { get; } = new(new Dictionary<string, double> { [WeigherNames.FreeMemory] = -1.0 });

    public static PlacementProfile For(PlacementStrategy strategy) => strategy == PlacementStrategy.Pack ? Pack : Spread;
}
