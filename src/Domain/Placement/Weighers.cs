namespace IaasApi.Domain.Placement;

/// <summary>A raw preference for a host (Nova's BaseHostWeigher). The pipeline normalises it to [0,1] and applies
/// the profile's multiplier, so weighers never need to agree on units.</summary>
public interface IHostWeigher
{
    string Name { get; }
    double Weigh(HostCandidate host, PlacementRequest request);
}

public static class WeigherNames
{
    public const string FreeMemory = "free-memory";
}

/// <summary>More free memory = higher raw weight. Spread multiplies by +1 (emptiest first), pack by −1 (fullest first).</summary>
public sealed class FreeMemoryWeigher : IHostWeigher
{
    public string Name => WeigherNames.FreeMemory;
    public double Weigh(HostCandidate host, PlacementRequest r) => host.FreeMemoryMiB;
}
