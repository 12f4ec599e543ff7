namespace IaasApi.Domain.Catalog;

/// <summary>
/// What a flavor or an image asks of its host, beyond resources (Nova's extra specs / image properties): a CPU
/// model, CPU features, and required or forbidden host traits. A request combines the flavor's and the image's.
/// </summary>
public sealed record PlacementHints(string? CpuModel, IReadOnlyList<string> CpuFeatures, IReadOnlyList<string> RequiredTraits,
                                    IReadOnlyList<string> ForbiddenTraits)
{
    public static PlacementHints None { get; } = new(null, [], [], []);

    public static IReadOnlyList<string> Normalise(IEnumerable<string>? tags) =>
        tags is null ? [] : tags.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}
