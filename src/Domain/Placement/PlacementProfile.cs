using System.Collections.Frozen;
using IaasApi.Domain.Catalog;

namespace IaasApi.Domain.Placement;

/// <summary>
/// Multipliers per weigher (Nova's *_weight_multiplier). The SLA plan's placement strategy picks the profile;
/// docs/placement.md explains each number.
/// </summary>
public sealed class PlacementProfile(string name, IReadOnlyDictionary<string, double> multipliers)
{
    private readonly FrozenDictionary<string, double> _multipliers = multipliers.ToFrozenDictionary(StringComparer.Ordinal);

    public string Name => name;

    public IReadOnlyDictionary<string, double> Multipliers => _multipliers;

    public double Multiplier(string weigher) => _multipliers.GetValueOrDefault(weigher);

    /// <summary>Balance load: emptiest hosts (memory, then vCPU, disk, instance count) first.</summary>
    public static PlacementProfile Spread { get; } = new("spread", new Dictionary<string, double>
    {
        [WeigherNames.FreeMemory] = 1.0,
        [WeigherNames.FreeVcpus] = 1.0,
        [WeigherNames.FreeDisk] = 0.25,
        [WeigherNames.InstanceCount] = 0.5,
        [WeigherNames.SoftAffinity] = 3.0,
        [WeigherNames.SoftAntiAffinity] = 3.0,
    });

    /// <summary>Free whole hosts (to power them down): fullest hosts first, tightest fit on the bottleneck resource.</summary>
    public static PlacementProfile Pack { get; } = new("pack", new Dictionary<string, double>
    {
        [WeigherNames.Fill] = 1.0,
        [WeigherNames.DominantResourceFit] = 1.0,
        [WeigherNames.SoftAffinity] = 3.0,
        [WeigherNames.SoftAntiAffinity] = 3.0,
    });

    public static PlacementProfile For(PlacementStrategy strategy) => strategy == PlacementStrategy.Pack ? Pack : Spread;
}
