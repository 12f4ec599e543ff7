using IaasApi.Domain.Instances;
using IaasApi.Domain.Placement;
using IaasApi.Domain.ServerGroups;

namespace IaasApi.Infrastructure.Placement;

/// <summary>
/// What admission and waiting placement share: a host ranked on the snapshot and claimed in the caller's transaction
/// (alternates when a concurrent claim wins), the refusal when none can be, and a server group's members as placement
/// sees them.
/// </summary>
public sealed class HostClaimer(IaasDbContext db, CapacityClaims claims, PlacementPipeline pipeline, HostSnapshot snapshot, PlacementStats stats,
                                IOptions<IaasOptions> options)
{
    /// <summary>
    /// Ranks the snapshot and claims the best host that still has room. A lost claim (another request got there first,
    /// or the snapshot was stale) puts the host on this request's avoid-list and re-reads it into the snapshot; after
    /// <c>MaxClaimAttempts</c> alternates a new round ranks again — right away: this transaction holds the tenant row,
    /// and sleeping with a lock held only makes others wait. Bounded by <c>MaxRounds</c>: a request never loops.
    /// Throws <see cref="NoValidHostException"/> with the trace.
    /// </summary>
    public async Task<HostCandidate> ClaimAsync(PlacementRequest request, IReadOnlyList<HostCandidate> hosts, bool explain, ClaimKind kind,
                                                 CancellationToken ct)
    {
        var o = options.Value.Placement;
        var avoid = new HashSet<Guid>();
        for (var round = 1; ; round++)
        {
            var result = pipeline.Rank(request with { ExcludedHosts = avoid }, hosts, Math.Max(1, o.MaxClaimAttempts));
            if (!result.Found) throw Refusal(request, hosts, result, avoid.Count, explain);

            var lost = new List<Guid>();
            foreach (var candidate in result.Ranked)
            {
                if (await claims.TryClaimHostAsync(candidate.Host.Id, request.Demand, candidate.Host.ConfigVersion, o.MaxInstancesPerHost, kind, ct))
                    return candidate.Host;
                lost.Add(candidate.Host.Id);
                avoid.Add(candidate.Host.Id);
                stats.ClaimLost();
            }
            // Claims we lost are not ours, so these rows hold nothing this transaction may roll back.
            await snapshot.ReloadAsync(db, lost, ct);
            if (round >= Math.Max(1, o.MaxRounds)) throw Refusal(request, hosts, result with { Ranked = [] }, avoid.Count, explain);
        }
    }

    /// <summary>
    /// The refusal for a ranking that found nothing. Its own counts always; with <paramref name="explain"/> (admins),
    /// a detailed re-rank for the per-host reasons — used only if it still finds nothing, so the trace never
    /// contradicts the refusal. Candidates lost to concurrent claims appear as a final "claim" step.
    /// </summary>
    public NoValidHostException Refusal(PlacementRequest request, IReadOnlyList<HostCandidate> hosts, PlacementResult failed, int lost, bool explain)
    {
        var trace = failed.Trace;
        if (explain && lost == 0 && pipeline.Rank(request, hosts, 1, detailed: true) is { Found: false } detailed) trace = detailed.Trace;
        if (lost == 0) return new NoValidHostException(trace);
        var candidates = trace.Count > 0 ? trace[^1].After + lost : lost;
        return new NoValidHostException(trace.Append(new FilterStep("claim", candidates, 0)).ToList(),
            $"No valid host was found: {lost} candidate host(s) filled up while this request was being placed.");
    }

    /// <summary>Where the group's members are (read inside an admission's transaction, under the tenant's lock).</summary>
    public async Task<GroupPlacement?> GroupPlacementAsync(ServerGroup? group, CancellationToken ct)
    {
        if (group is null) return null;
        var members = await db.Instances.AsNoTracking()
            .Where(i => i.ServerGroupId == group.Id && i.Status != InstanceStatus.Deleted && i.HostId != null)
            .GroupBy(i => i.HostId!.Value).Select(x => new { HostId = x.Key, Count = x.Count() }).ToListAsync(ct);
        return new GroupPlacement(group.Id, group.Policy, group.MaxPerHost, members.ToDictionary(m => m.HostId, m => m.Count));
    }
}
