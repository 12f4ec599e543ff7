using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;

namespace IaasApi.Infrastructure.Placement;

/// <summary>
/// Places an instance that waited — pending in the best-effort queue, suspended after a preemption, saved off its host
/// when its reservation ended — once a host fits it (waking a powered-off one that would).
/// </summary>
public sealed class WaitingPlacement(
    IaasDbContext db,
    CapacityClaims claims,
    PlacementPipeline pipeline,
    HostSnapshot snapshot,
    HostClaimer claimer,
    PlacementStats stats,
    CatalogCache catalog,
    HostPowerManager power,
    IOptions<IaasOptions> options)
{
    /// <summary>
    /// Gives a waiting instance (pending in the best-effort queue, suspended after a preemption, or stopped and saved
    /// off its host when its reservation ended) a host, if one fits now: claims it, moves the instance on (<c>building</c>, or <c>starting</c> to resume) and routes its operation to
    /// the host's queue, in one transaction. Returns the operation to dispatch, or throws
    /// <see cref="NoValidHostException"/> (with what is missing) when nothing fits. A concurrent change to the instance
    /// (a delete) makes the save fail and the claim roll back.
    /// </summary>
    /// <param name="fresh">Refresh the host snapshot first (a pass of the queue does once; a refusal must not rest on a stale view).</param>
    public async Task<Operation> PlaceWaitingAsync(Instance instance, bool fresh, CancellationToken ct)
    {
        var flavor = await catalog.FlavorAsync(db, instance.FlavorId ?? throw new ConflictException("The instance's flavor is gone."), ct);
        var image = await catalog.ImageAsync(db, instance.ImageId ?? throw new ConflictException("The instance's image is gone."), ct);
        var plan = await catalog.PlanAsync(db, instance.SlaPlanId ?? throw new ConflictException("The instance's SLA plan is gone."), ct);
        var group = instance.ServerGroupId is { } groupId ? await db.ServerGroups.AsNoTracking().SingleOrDefaultAsync(g => g.Id == groupId, ct) : null;
        var hosts = await snapshot.GetAsync(db, ct, fresh);
        var maxPerHost = options.Value.Placement.MaxInstancesPerHost;
        var quick = PlacementRequests.For(flavor, image, plan, instance.ZoneId, null, maxPerHost) with { Demand = instance.Resources };
        var seen = pipeline.Rank(quick, hosts, 1);
        if (!seen.Found)
        {
            // A powered-off host that would take it is woken; the claim lands on it now and the work waits for its boot.
            if (!await power.WakeForAsync(quick, ct)) throw claimer.Refusal(quick, hosts, seen, lost: 0, explain: false);
            hosts = await snapshot.GetAsync(db, ct);
        }

        var kind = instance.OwnKind;
        var claimedOn = (Guid?)null;
        try
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            // The tenant row first, as every admission locks it: it serialises this with the tenant's own group placements.
            await claims.LockTenantAsync(instance.TenantId, ct);
            var request = PlacementRequests.For(flavor, image, plan, instance.ZoneId, await claimer.GroupPlacementAsync(group, ct), maxPerHost)
                with { Demand = instance.Resources };
            var host = await claimer.ClaimAsync(request, hosts, explain: false, kind, ct);
            claimedOn = host.Id;
            snapshot.Adjust(host.Id, instance.Resources, +1, kind);
            var now = db.Clock.GetUtcNow();
            var queue = JobDispatcher.QueueFor(host.Hypervisor, host.Name);
            Operation op;
            if (instance.Status is InstanceStatus.Suspended or InstanceStatus.Stopped)
            {
                op = new Operation(OperationKinds.InstanceResume, "instance", instance.Id, instance.TenantId, null, now) { Queue = queue };
                db.Operations.Add(op);
                instance.Resume(host.Id, host.ZoneId, Actors.Scheduler, op.Id, now);
            }
            else
            {
                op = await db.Operations.SingleAsync(o => o.Id == instance.OperationId, ct);
                op.Route(queue);
                instance.StartBuilding(host.Id, host.ZoneId, kind, Actors.Scheduler, op.Id, now, $"Capacity found on a host after {Waited(instance, now)} in the queue.");
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            stats.Admitted(1);
            return op;
        }
        catch when (claimedOn is { } hostId)
        {
            db.ChangeTracker.Clear();
            await snapshot.ReloadAsync(db, [hostId], CancellationToken.None);
            throw;
        }
    }

    private static string Waited(Instance instance, DateTimeOffset now) =>
        instance.QueuedAt is { } since ? $"{Math.Max(0, (now - since).TotalSeconds):0} s" : "a while";

    /// <summary>Why a best-effort instance waits, from the refusal that sent it to the queue.</summary>
    public static string WaitReason(NoValidHostException refused) =>
        refused.Trace.LastOrDefault(s => s.After == 0) is { } step
            ? $"Waiting for capacity: no host passes the '{step.Filter}' filter right now ({step.Before} candidate(s) before it). It starts when one frees."
            : "Waiting for capacity: no host can take it right now. It starts when one frees.";
}
