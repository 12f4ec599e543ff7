using IaasApi.Domain.Catalog;
using IaasApi.Domain.Placement;
using IaasApi.Domain.ServerGroups;

namespace IaasApi.Infrastructure.Placement;

/// <summary>Placement as a question: where a request would go, and why the other hosts would not take it. Nothing is claimed.</summary>
public sealed class PlacementPreview(IaasDbContext db, PlacementPipeline pipeline, HostSnapshot snapshot, HostClaimer claimer,
                                     IOptions<IaasOptions> options)
{
    /// <summary>
    /// A dry run (POST /v1/placement/preview): the ranked hosts with every weigher's contribution and the detailed
    /// eliminations, on a freshly refreshed snapshot, nothing claimed. With a count, the hosts each instance would get.
    /// </summary>
    public async Task<(PlacementResult First, IReadOnlyList<HostCandidate?> Picks)> PreviewAsync(
        Flavor flavor, Image image, SlaPlan plan, Guid? zoneId, ServerGroup? group, int count, int top, CancellationToken ct)
    {
        var hosts = (await snapshot.GetAsync(db, ct, fresh: true)).ToArray();
        var request = PlacementRequests.For(flavor, image, plan, zoneId, await claimer.GroupPlacementAsync(group, ct), options.Value.Placement.MaxInstancesPerHost);
        var first = pipeline.Rank(request, hosts, top, detailed: true);
        var picks = new List<HostCandidate?>(count);
        var index = hosts.Select((h, i) => (h.Id, i)).ToDictionary(p => p.Id, p => p.i);
        for (var n = 0; n < count; n++)
        {
            var pick = n == 0 ? first.Ranked.FirstOrDefault()?.Host : pipeline.Rank(request, hosts, 1).Ranked.FirstOrDefault()?.Host;
            picks.Add(pick);
            if (pick is null) break;
            hosts[index[pick.Id]] = pick.WithClaim(request.Demand);
            if (request.Group is { } g) request = request with { Group = g.WithMember(pick.Id) };
        }
        return (first, picks);
    }
}
