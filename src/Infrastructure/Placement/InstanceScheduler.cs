using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;
using IaasApi.Domain.Tenancy;
using IaasApi.Infrastructure.Jobs;
using IaasApi.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Idempotency;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace IaasApi.Infrastructure.Placement;

/// <summary>A create request with its references resolved (the handler checked they exist and belong together).</summary>
public sealed record AdmissionRequest(
    Guid TenantId, string Name, Flavor Flavor, Image Image, SlaPlan Plan, Guid? ZoneId, string? UserData, int Count, string Actor,
    IdempotencyContext? Idempotency = null);

/// <summary>What was admitted: the instances (status <c>building</c>) and the operation the client polls.</summary>
public sealed record Admission(IReadOnlyList<Instance> Instances, Operation Operation)
{
    /// <summary>True when an earlier request with the same Idempotency-Key had already admitted these.</summary>
    public bool Replayed { get; init; }
}

/// <summary>
/// Admits instances: quota claim, placement, capacity claims on the ranked hosts (alternates on a lost race, a fresh
/// snapshot after <c>MaxClaimAttempts</c>), then the instance, operation and audit rows, all in ONE transaction. A
/// batch is all or nothing. Jobs are enqueued only after the commit.
/// </summary>
public sealed class InstanceScheduler(
    IaasDbContext db,
    CapacityClaims claims,
    PlacementPipeline pipeline,
    JobDispatcher dispatcher,
    HypervisorDrivers drivers,
    IOptions<IaasOptions> options)
{
    private const int TransactionRetries = 3;

    public async Task<Admission> AdmitAsync(AdmissionRequest request, CancellationToken ct)
    {
        Admission admission;
        for (var attempt = 1; ; attempt++)
        {
            if (await PreviousAdmissionAsync(request.Idempotency, ct) is { } earlier) return earlier;
            try
            {
                admission = await AdmitOnceAsync(request, ct);
                break;
            }
            catch (Exception ex) when (attempt < TransactionRetries && (IsTransientConflict(ex) || IsClientTokenTaken(ex)))
            {
                db.ChangeTracker.Clear();   // a deadlock between two batches, or the same key committed first: look again
            }
        }
        // Committed: nothing after this point may be cancelled by the client going away (the reconciler would
        // recover a lost enqueue, but there is no reason to make it).
        foreach (var op in await ChildrenOf(admission.Operation, CancellationToken.None))
            await dispatcher.DispatchAsync(op, CancellationToken.None);
        return admission;
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

    private async Task<Admission> AdmitOnceAsync(AdmissionRequest r, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        var demand = r.Flavor.Resources;
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        var usage = Usage.Of(demand, r.Count);
        if (!await claims.TryClaimQuotaAsync(r.TenantId, usage, ct))
            throw await QuotaErrorAsync(r.TenantId, usage, ct);

        var placement = new PlacementRequest(demand, r.Plan.PlacementStrategy, r.ZoneId) { Hypervisors = drivers.Kinds };
        var snapshot = await SnapshotAsync(ct);
        var parent = r.Count > 1
            ? new Operation(OperationKinds.InstanceCreate, "instance", null, r.TenantId, null, now)
              {
                  ClientToken = r.Idempotency?.ClientToken, RequestHash = r.Idempotency?.RequestHash,
              }
            : null;
        if (parent is not null) db.Operations.Add(parent);

        var instances = new List<Instance>(r.Count);
        Operation? single = null;
        for (var n = 1; n <= r.Count; n++)
        {
            var host = await ClaimAsync(placement, snapshot, ct);
            snapshot[snapshot.FindIndex(h => h.Id == host.Id)] = host.WithClaim(demand);

            var name = r.Count > 1 ? $"{r.Name}-{n}" : r.Name;
            var op = new Operation(OperationKinds.InstanceCreate, "instance", null, r.TenantId, parent?.Id, now)
            {
                Queue = JobDispatcher.QueueFor(host.Hypervisor, host.Name),
                ClientToken = parent is null ? r.Idempotency?.ClientToken : null,
                RequestHash = parent is null ? r.Idempotency?.RequestHash : null,
            };
            var instance = Instance.Place(name, r.TenantId, r.Flavor.Id, r.Image.Id, r.Plan.Id, demand, r.UserData,
                host.Id, host.ZoneId, r.Actor, op.Id, now);
            op.BindResource(instance.Id);
            parent?.BindResource(instance.Id);
            db.Operations.Add(op);
            db.Instances.Add(instance);
            instances.Add(instance);
            single = op;
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new Admission(instances, parent ?? single!);
    }

    /// <summary>
    /// Ranks the snapshot and claims the best host that still has room, trying alternates when a concurrent claim
    /// got there first; refreshes the snapshot between rounds. Throws <see cref="NoValidHostException"/>.
    /// </summary>
    private async Task<HostCandidate> ClaimAsync(PlacementRequest request, List<HostCandidate> snapshot, CancellationToken ct)
    {
        var o = options.Value.Placement;
        var lost = new List<Guid>();
        for (var round = 1; ; round++)
        {
            var result = pipeline.Rank(request, snapshot);
            if (!result.Found) throw new NoValidHostException(result.Trace);

            var tried = 0;
            foreach (var candidate in result.Ranked)
            {
                if (tried++ == Math.Max(1, o.MaxClaimAttempts)) break;
                if (await claims.TryClaimHostAsync(candidate.Host.Id, request.Demand, ct)) return candidate.Host;
                lost.Add(candidate.Host.Id);
            }

            if (round >= Math.Max(1, o.MaxRounds))
            {
                var trace = result.Trace.Append(new FilterStep("claim", result.Ranked.Count, 0, lost.Distinct().ToList())).ToList();
                throw new NoValidHostException(trace,
                    $"No valid host was found: {lost.Distinct().Count()} candidate host(s) filled up while this request was being placed.");
            }
            var fresh = await SnapshotAsync(ct);
            // Keep this request's own earlier claims (a batch): they are committed only with the transaction,
            // but a fresh read inside the same transaction already sees them.
            snapshot.Clear();
            snapshot.AddRange(fresh);
        }
    }

    private Task<List<HostCandidate>> SnapshotAsync(CancellationToken ct) =>
        db.Hosts.AsNoTracking().OrderBy(h => h.Id)
            .Select(h => new HostCandidate(h.Id, h.Name, h.ZoneId, h.RegionId, h.Hypervisor, h.State, h.Power,
                h.Capacity, h.Reserved, h.AllocationRatios, h.Allocated, h.InstanceCount, h.CpuModel, h.CpuFeatures, h.Traits))
            .ToListAsync(ct);

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
