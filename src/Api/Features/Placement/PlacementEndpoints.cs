using IaasApi.Api.Features.Instances;
using IaasApi.Api.Features.ServerGroups;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Placement;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Api.Features.Placement;

/// <summary>The same body as a create (its server group is the tenant-owned one named), plus how many ranked hosts to show.</summary>
public sealed record PreviewRequest(Guid? FlavorId, Guid? ImageId, Guid? SlaPlanId, Guid? ZoneId, Guid? ServerGroupId, int? Count, int? Limit);

public sealed record WeightResponse(string Weigher, double Raw, double Normalized, double Multiplier, double Contribution);

public sealed record RankedHostResponse(int Rank, Guid HostId, string HostName, Guid ZoneId, double Score, IReadOnlyList<WeightResponse> Weights);

public sealed record PreviewResponse(string Profile, int Candidates, IReadOnlyList<RankedHostResponse> Ranked,
                                     IReadOnlyList<EliminationStep> Eliminations, IReadOnlyList<Guid?> Picks, ResourcesDto Demand);

/// <summary>This API process's placement counters since it started, and how many hosts its snapshot holds.</summary>
public sealed record PlacementStatsResponse(PlacementCounters Counters, int SnapshotHosts);

public sealed class PreviewValidator : AbstractValidator<PreviewRequest>
{
    public PreviewValidator()
    {
        RuleFor(x => x.FlavorId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.ImageId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.SlaPlanId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.Count).InclusiveBetween(1, Limits.MaxBatchCount);
        RuleFor(x => x.Limit).InclusiveBetween(1, 10_000);
    }
}

/// <summary>
/// POST /v1/placement/preview (admin): where would this go, and why? The ranked hosts with every weigher's
/// contribution, the eliminations with reasons, and for a count the host each instance would get — nothing claimed.
/// </summary>
public static class PlacementEndpoints
{
    public static void MapPlacement(this RouteGroupBuilder v1)
    {
        v1.MapPost("/placement/preview", Preview).WithTags("Placement").WithName("PreviewPlacement")
          .Validate<PreviewRequest>().RequireAuthorization(AuthorizationPolicies.Admin).ProducesProblem(404);
        v1.MapGet("/placement/stats", (PlacementStats stats, HostSnapshot snapshot) =>
                TypedResults.Ok(new PlacementStatsResponse(stats.Read(), snapshot.Count)))
          .WithTags("Placement").WithName("PlacementStats").RequireAuthorization(AuthorizationPolicies.Admin);
    }

    /// <summary>Reads and checks exactly what a create would (same catalog cache, same refusals), then ranks without claiming.</summary>
    private static async Task<Ok<PreviewResponse>> Preview(PreviewRequest req, Caller caller, IaasDbContext db, PlacementPreview preview,
                                                           CatalogCache catalog, CancellationToken ct)
    {
        var flavor = await catalog.FlavorAsync(db, req.FlavorId!.Value, ct);
        var image = await catalog.ImageAsync(db, req.ImageId!.Value, ct);
        var plan = await catalog.PlanAsync(db, req.SlaPlanId!.Value, ct);
        if (req.ZoneId is { } zoneId) await db.Zones.AsNoTracking().GetAsync(zoneId, "zone", ct);
        CreateInstance.EnsureCompatible(flavor, image, plan);
        var group = req.ServerGroupId is { } groupId ? await ServerGroupsEndpoints.FindVisibleAsync(db, caller, groupId, ct) : null;

        var (first, picks) = await preview.PreviewAsync(flavor, image, plan, req.ZoneId, group, req.Count ?? 1, req.Limit ?? 20, ct);
        var ranked = first.Ranked.Select((r, i) => new RankedHostResponse(i + 1, r.Host.Id, r.Host.Name, r.Host.ZoneId, r.Score,
            (r.Weights ?? []).Select(w => new WeightResponse(w.Weigher, w.Raw, w.Normalized, w.Multiplier, w.Contribution)).ToList())).ToList();
        return TypedResults.Ok(new PreviewResponse(PlacementProfile.For(plan.PlacementStrategy).Name, first.Candidates, ranked,
            first.Trace.Select(Eliminations.Detailed).ToList(), picks.Select(p => p?.Id).ToList(), ResourcesDto.From(flavor.Resources)));
    }
}
