using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;
using IaasApi.Domain.ServerGroups;
using IaasApi.Domain.Tenancy;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Idempotency;
using IaasApi.Infrastructure.Jobs;
using IaasApi.Infrastructure.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IaasApi.Infrastructure.Placement;

/// <summary>A create request with its references resolved (the handler checked they exist and belong together).</summary>
public sealed record AdmissionRequest(
    Guid TenantId, string Name, Flavor Flavor, Image Image, SlaPlan Plan, Guid? ZoneId, string? UserData, int Count, string Actor,
    IdempotencyContext? Idempotency = null, ServerGroup? Group = null);

/// <summary>What was admitted: the instances (status <c>building</c>) and the operation the client polls.</summary>
public sealed record Admission(IReadOnlyList<Instance> Instances, Operation Operation)
{
    /// <summary>True when an earlier request with the same Idempotency-Key had already admitted these.</summary>
    public bool Replayed { get; init; }
}

/// <summary>
/// Admits instances: quota claim, server-group lock, placement on the in-memory host snapshot, capacity claims on the
/// ranked hosts (alternates when a concurrent claim wins; lost hosts are re-read and avoided; a few jittered rounds),
/// then the instance, operation and audit rows — all in ONE transaction; a batch is all or nothing. Jobs are enqueued
/// only after the commit. Lock order everywhere: tenant row → server group row → host rows.
/// </summary>
public sealed class InstanceScheduler(
    IaasDbContext db,
    CapacityClaims claims,
    PlacementPipeline pipeline,
    HostSnapshot snapshot,
    JobDispatcher dispatcher,
    PlacementStats stats,
    IOptions<IaasOptions> options)
{
    private const int TransactionRetries = 4;

    public async Task<Admission> AdmitAsync(AdmissionRequest request, CancellationToken ct)
    {
        Admission admission;
        var fresh = false;
        for (var attempt = 1; ; attempt++)
        {
            if (await PreviousAdmissionAsync(request.Idempotency, ct) is { } earlier) return earlier;
            try
            {
                admission = await AdmitOnceAsync(request, fresh, ct);
                break;
            }
            catch (NoValidHostException) when (!fresh)
            {
                // Never refuse on a stale view (a host added or re-enabled a moment ago): refresh, then decide.
                db.ChangeTracker.Clear();
                fresh = true;
                stats.RefreshedBeforeRefusing();
            }
            catch (NoValidHostException)
            {
                stats.Refused();
                throw;
            }
            catch (Exception ex) when (attempt < TransactionRetries && (IsTransientConflict(ex) || IsClientTokenTaken(ex)))
            {
                // A deadlock between two batches, a busy database, or the same key committed first: look again, a
                // little later and not in step with whoever we collided with.
                db.ChangeTracker.Clear();
                stats.TransactionRetried();
                await Task.Delay(Random.Shared.Next(5, 25 * attempt), ct);
            }
        }
        stats.Admitted(admission.Instances.Count);
        // Committed: nothing after this point may be cancelled by the client going away.
        foreach (var op in await ChildrenOf(admission.Operation, CancellationToken.None))
            await dispatcher.DispatchAsync(op, CancellationToken.None);
        return admission;
    }

    /// <summary>
    /// A dry run (POST /v1/placement/preview): the ranked hosts with every weigher's contribution and the detailed
    /// eliminations, on a freshly refreshed snapshot, nothing claimed. With a count, the hosts each instance would get.
    /// </summary>
    public async Task<(PlacementResult First, IReadOnlyList<HostCandidate?> Picks)> PreviewAsync(
        Flavor flavor, Image image, SlaPlan plan, Guid? zoneId, ServerGroup? group, int count, int top, CancellationToken ct)
    {
        var hosts = (await snapshot.GetAsync(db, ct, fresh: true)).ToArray();
        var request = PlacementRequests.For(flavor, image, plan, zoneId, await GroupPlacementAsync(group, ct),
            options.Value.Placement.MaxInstancesPerHost);
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

    /// <summary>The instances an earlier request with this Idempotency-Key admitted, or null.</summary>
    private async Task<Admission?> PreviousAdmissionAsync(IdempotencyContext? idempotency, CancellationToken ct)
    {
        if (idempotency is null) return null;
        var token = idempotency.ClientToken;
        var op = await db.Operations.AsNoTracking().SingleOrDefaultAsync(o => o.ClientToken == token, ct);
        if (op is null) return null;
        if (op.RequestHash != idempotency.RequestHash) throw new IdempotencyKeyReusedException();
        var ids = op.Queue is not null
            ? [op.ResourceId!.Value]
            : await db.Operations.AsNoTracking().Where(c => c.ParentId == op.Id).OrderBy(c => c.Id).Select(c => c.ResourceId!.Value).ToListAsync(ct);
        var instances = await db.Instances.AsNoTracking().Where(i => ids.Contains(i.Id)).OrderBy(i => i.Id).ToListAsync(ct);
        return new Admission(instances, op) { Replayed = true };
    }

    private async Task<Admission> AdmitOnceAsync(AdmissionRequest r, bool freshSnapshot, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        var demand = r.Flavor.Resources;
        var hosts = await snapshot.GetAsync(db, ct, fresh: freshSnapshot);
        var maxPerHost = options.Value.Placement.MaxInstancesPerHost;
        if (r.Group is null)
        {
            // Nothing can fit on what we see: refuse without a transaction (the caller refreshes once before believing it).
            var quick = PlacementRequests.For(r.Flavor, r.Image, r.Plan, r.ZoneId, null, maxPerHost);
            if (!pipeline.Rank(quick, hosts, 1).Found) throw Refusal(quick, hosts, 0);
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        // The quota first. Its row lock also serialises one tenant's concurrent requests, and each then ranks on a view
        // that already holds the previous one's claim (measured: 2x faster than letting them all race for one host).
        var usage = Usage.Of(demand, r.Count);
        if (!await claims.TryClaimQuotaAsync(r.TenantId, usage, ct))
            throw await QuotaErrorAsync(r.TenantId, usage, ct);

        GroupPlacement? group = null;
        if (r.Group is { } g)
        {
            // Serialise admissions into one group: with its row locked, the members read below cannot change under us,
            // so two parallel creates in an anti-affinity group can never both pick the same host.
            await db.ServerGroups.Where(x => x.Id == g.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Version, x => x.Version + 1), ct);
            group = await GroupPlacementAsync(g, ct);
        }

        var request = PlacementRequests.For(r.Flavor, r.Image, r.Plan, r.ZoneId, group, maxPerHost);
        var parent = r.Count > 1
            ? new Operation(OperationKinds.InstanceCreate, "instance", null, r.TenantId, null, now)
              {
                  ClientToken = r.Idempotency?.ClientToken, RequestHash = r.Idempotency?.RequestHash,
              }
            : null;
        if (parent is not null) db.Operations.Add(parent);

        var instances = new List<Instance>(r.Count);
        var claimed = new List<Guid>(r.Count);
        Operation? single = null;
        try
        {
            for (var n = 1; n <= r.Count; n++)
            {
                var host = await ClaimAsync(request, hosts, ct);
                // Seen at once by this batch's next pick and by concurrent requests of this process; taken back below
                // if the transaction does not commit.
                snapshot.Adjust(host.Id, demand, +1);
                claimed.Add(host.Id);
                if (request.Group is { } placed) request = request with { Group = placed.WithMember(host.Id) };

                var name = r.Count > 1 ? $"{r.Name}-{n}" : r.Name;
                var op = new Operation(OperationKinds.InstanceCreate, "instance", null, r.TenantId, parent?.Id, now)
                {
                    Queue = JobDispatcher.QueueFor(host.Hypervisor, host.Name),
                    ClientToken = parent is null ? r.Idempotency?.ClientToken : null,
                    RequestHash = parent is null ? r.Idempotency?.RequestHash : null,
                };
                var instance = Instance.Place(name, r.TenantId, r.Flavor.Id, r.Image.Id, r.Plan.Id, demand, r.UserData,
                    host.Id, host.ZoneId, r.Actor, op.Id, now, r.Group?.Id);
                op.BindResource(instance.Id);
                parent?.BindResource(instance.Id);
                db.Operations.Add(op);
                db.Instances.Add(instance);
                instances.Add(instance);
                single = op;
            }

            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        catch
        {
            foreach (var hostId in claimed) snapshot.Adjust(hostId, Resources.Zero - demand, -1);
            throw;
        }
        return new Admission(instances, parent ?? single!);
    }

    /// <summary>
    /// Ranks the snapshot and claims the best host that still has room. A lost claim (another request got there first,
    /// or the snapshot was stale) puts the host on this request's avoid-list and re-reads it into the snapshot; after
    /// <c>MaxClaimAttempts</c> alternates a new round ranks again, after a short jittered pause. Bounded by
    /// <c>MaxRounds</c>: a request never loops. Throws <see cref="NoValidHostException"/> with the trace.
    /// </summary>
    private async Task<HostCandidate> ClaimAsync(PlacementRequest request, IReadOnlyList<HostCandidate> hosts, CancellationToken ct)
    {
        var o = options.Value.Placement;
        var avoid = new HashSet<Guid>();
        for (var round = 1; ; round++)
        {
            var result = pipeline.Rank(request with { ExcludedHosts = avoid }, hosts, Math.Max(1, o.MaxClaimAttempts));
            if (!result.Found) throw Refusal(request, hosts, avoid.Count);

            var lost = new List<Guid>();
            foreach (var candidate in result.Ranked)
            {
                if (await claims.TryClaimHostAsync(candidate.Host.Id, request.Demand, candidate.Host.ConfigVersion, ct)) return candidate.Host;
                lost.Add(candidate.Host.Id);
                avoid.Add(candidate.Host.Id);
                stats.ClaimLost();
            }
            // Read the truth about the hosts we lost into the snapshot we rank on.
            await snapshot.ReloadAsync(db, lost, ct);
            if (round >= Math.Max(1, o.MaxRounds)) throw Refusal(request, hosts, avoid.Count);
            await Task.Delay(Random.Shared.Next(1, 10 * round), ct);
        }
    }

    /// <summary>
    /// The refusal, ranked once more without the avoid-list and with reasons (the API shows those to admins only):
    /// either the filters now say why nothing fits, or every candidate was taken by concurrent requests ("claim").
    /// </summary>
    private NoValidHostException Refusal(PlacementRequest request, IReadOnlyList<HostCandidate> hosts, int lost)
    {
        var result = pipeline.Rank(request, hosts, 1, detailed: true);
        if (!result.Found || lost == 0) return new NoValidHostException(result.Trace);
        return new NoValidHostException(result.Trace.Append(new FilterStep("claim", result.Candidates, 0)).ToList(),
            $"No valid host was found: {lost} candidate host(s) filled up while this request was being placed.");
    }

    /// <summary>Where the group's live members run (read inside the admission transaction, under the group lock).</summary>
    private async Task<GroupPlacement?> GroupPlacementAsync(ServerGroup? group, CancellationToken ct)
    {
        if (group is null) return null;
        var members = await db.Instances.AsNoTracking()
            .Where(i => i.ServerGroupId == group.Id && i.Status != InstanceStatus.Deleted && i.HostId != null)
            .GroupBy(i => i.HostId!.Value).Select(x => new { HostId = x.Key, Count = x.Count() }).ToListAsync(ct);
        return new GroupPlacement(group.Id, group.Policy, group.MaxPerHost, members.ToDictionary(m => m.HostId, m => m.Count));
    }

    private async Task<QuotaExceededException> QuotaErrorAsync(Guid tenantId, Usage extra, CancellationToken ct)
    {
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tenantId, ct)
                     ?? throw new NotFoundException("tenant", tenantId);
        var exceeded = Tenant.Exceeds(tenant.Quotas, tenant.Usage, extra);
        var which = exceeded.Count > 0 ? string.Join(", ", exceeded) : "a quota (changed concurrently)";
        return new QuotaExceededException(
            $"This request needs {extra.Instances} instance(s), {extra.Vcpus} vCPUs and {extra.MemoryMiB} MiB; it would exceed the tenant's {which} quota.",
            exceeded);
    }

    private async Task<IReadOnlyList<Operation>> ChildrenOf(Operation op, CancellationToken ct) =>
        op.Queue is not null ? [op] : await db.Operations.AsNoTracking().Where(c => c.ParentId == op.Id).OrderBy(c => c.Id).ToListAsync(ct);

    /// <summary>A deadlock, a serialisation failure or a busy database: the transaction was aborted and may simply be retried.</summary>
    public static bool IsTransientConflict(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure }
                  or SqliteException { SqliteErrorCode: 5 or 6 })   // SQLITE_BUSY, SQLITE_LOCKED
                return true;
        return false;
    }

    /// <summary>A concurrent request with the same Idempotency-Key committed first.</summary>
    private static bool IsClientTokenTaken(Exception ex) =>
        ex is DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg }
            && pg.ConstraintName?.Contains("client_token", StringComparison.Ordinal) == true
        || ex is DbUpdateException { InnerException: SqliteException { SqliteErrorCode: 19 } sq }
            && sq.Message.Contains("client_token", StringComparison.Ordinal);
}
