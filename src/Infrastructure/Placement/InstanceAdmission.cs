using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;
using IaasApi.Domain.Reservations;
using IaasApi.Domain.ServerGroups;
using IaasApi.Domain.Tenancy;

namespace IaasApi.Infrastructure.Placement;

/// <summary>A create request with its references resolved (the handler checked they exist and belong together).</summary>
/// <param name="ExplainRefusals">Build a refusal's per-host reasons (admins see them; for tenants counts are enough).</param>
/// <param name="Scheme">Immediate: placed now or refused. Best-effort: what cannot be placed now waits in the queue
/// (until <paramref name="ExpiresAt"/>, if set). Reservation: runs in <paramref name="Reservation"/>'s slots.</param>
public sealed record AdmissionRequest(
    Guid TenantId, string Name, Flavor Flavor, Image Image, SlaPlan Plan, Guid? ZoneId, string? UserData, int Count, string Actor,
    IdempotencyContext? Idempotency = null, ServerGroup? Group = null, bool ExplainRefusals = false,
    ProvisioningScheme Scheme = ProvisioningScheme.Immediate, DateTimeOffset? ExpiresAt = null, Reservation? Reservation = null);

/// <summary>What was admitted: the instances (<c>building</c>, or <c>pending</c> when they wait) and the operation the client polls.</summary>
public sealed record Admission(IReadOnlyList<Instance> Instances, Operation Operation)
{
    /// <summary>True when an earlier request with the same Idempotency-Key had already admitted these.</summary>
    public bool Replayed { get; init; }
}

/// <summary>
/// Admits instances: quota claim, placement on the in-memory host snapshot, capacity claims on the ranked hosts
/// (alternates when a concurrent claim wins; lost hosts are re-read and avoided; a few rounds), then the instance,
/// operation and audit rows — all in ONE transaction; a batch is all or nothing. Jobs are enqueued only after the
/// commit. Lock order everywhere: tenant row → host rows. The tenant row (the quota claim, taken first) also serialises
/// one tenant's admissions, and server groups belong to one tenant, so a group's members are read and placed with no
/// concurrent admission into the same group: hard affinity rules hold under any concurrency.
/// </summary>
public sealed class InstanceAdmission(
    IaasDbContext db,
    CapacityClaims claims,
    PlacementPipeline pipeline,
    HostSnapshot snapshot,
    HostClaimer claimer,
    JobDispatcher dispatcher,
    PlacementStats stats,
    ReservationLauncher launcher,
    HostPowerManager power,
    IOptions<IaasOptions> options)
{
    private const int TransactionRetries = 4;
    /// <summary>Powered-off hosts one request may wake (a batch may need more than one).</summary>
    private const int MaxWakes = 3;

    public async Task<Admission> AdmitAsync(AdmissionRequest request, CancellationToken ct)
    {
        Admission admission;
        var fresh = false;
        var wakes = 0;
        for (var attempt = 1; ; attempt++)
        {
            if (await PreviousAdmissionAsync(request.Idempotency, ct) is { } earlier) return earlier;
            var claimed = new List<Guid>(request.Count);
            try
            {
                if (await AdmitOnceAsync(request, fresh, claimed, ct) is not { } admitted) continue;   // the same token won: found above
                admission = admitted;
                break;
            }
            catch (Exception ex) when (claimed.Count > 0)
            {
                launcher.Forget();
                // Claims this process published to the snapshot did not commit: read those hosts' committed rows back.
                db.ChangeTracker.Clear();
                await snapshot.ReloadAsync(db, claimed, CancellationToken.None);
                if (!Retryable(ex, attempt, ref fresh) && !await WakeForAsync(ex, request, wakes++, ct)) throw;
            }
            catch (Exception ex) when (Retryable(ex, attempt, ref fresh))
            {
                launcher.Forget();
                db.ChangeTracker.Clear();
            }
            catch (NoValidHostException ex) when (wakes < MaxWakes && request.Reservation is null)
            {
                // Nothing powered on can take it: a powered-off host that could is woken, and the request claims on it.
                launcher.Forget();
                db.ChangeTracker.Clear();
                if (!await WakeForAsync(ex, request, wakes++, ct)) throw;
            }
            if (attempt > 1 && !fresh) await Task.Delay(Random.Shared.Next(5, 25 * attempt), ct);   // out of step with whoever we collided with
        }
        stats.Admitted(admission.Instances.Count(i => i.Status != InstanceStatus.Pending));
        // Committed: nothing after this point may be cancelled by the client going away. Waiting work has no job yet.
        foreach (var op in await ChildrenOf(admission.Operation, CancellationToken.None))
            if (!op.Waiting) await dispatcher.DispatchAsync(op, CancellationToken.None);
        foreach (var suspend in launcher.TakeDispatches()) await dispatcher.DispatchAsync(suspend, CancellationToken.None);
        return admission;
    }

    /// <summary>Wakes a powered-off host for a refused request (not for reservations: their slots are on their hosts).</summary>
    private async Task<bool> WakeForAsync(Exception refusal, AdmissionRequest r, int wakesSoFar, CancellationToken ct)
    {
        if (refusal is not NoValidHostException || wakesSoFar >= MaxWakes || r.Reservation is not null) return false;
        var request = PlacementRequests.For(r.Flavor, r.Image, r.Plan, r.ZoneId, await claimer.GroupPlacementAsync(r.Group, ct),
                                            options.Value.Placement.MaxInstancesPerHost);
        return await power.WakeForAsync(request, ct);
    }

    /// <summary>
    /// Whether to run the admission again: once on a freshly refreshed snapshot before believing a refusal (a host added
    /// or re-enabled a moment ago), and a few times after a deadlock, a busy database, or the same key committed first.
    /// </summary>
    private bool Retryable(Exception ex, int attempt, ref bool fresh)
    {
        if (ex is NoValidHostException refusal)
        {
            if (!fresh)
            {
                fresh = true;
                stats.RefreshedBeforeRefusing();
                return true;
            }
            stats.Refused(refusal.EliminatingFilter);
            return false;
        }
        if (attempt < TransactionRetries && (DatabaseErrors.IsTransientConflict(ex) || DatabaseErrors.IsUniqueViolation(ex, "client_token") || ex is DbUpdateConcurrencyException))
        {
            stats.TransactionRetried();
            return true;
        }
        return false;
    }

    /// <summary>The instances an earlier request with this Idempotency-Key admitted, or null.</summary>
    private async Task<Admission?> PreviousAdmissionAsync(IdempotencyContext? idempotency, CancellationToken ct)
    {
        if (idempotency is null) return null;
        var token = idempotency.ClientToken;
        var op = await db.Operations.AsNoTracking().SingleOrDefaultAsync(o => o.ClientToken == token, ct);
        if (op is null) return null;
        if (op.RequestHash != idempotency.RequestHash) throw new IdempotencyKeyReusedException();
        var ids = op.IsSingle
            ? [op.ResourceId!.Value]
            : await db.Operations.AsNoTracking().Where(c => c.ParentId == op.Id).OrderBy(c => c.Id).Select(c => c.ResourceId!.Value).ToListAsync(ct);
        var instances = await db.Instances.AsNoTracking().Where(i => ids.Contains(i.Id)).OrderBy(i => i.Id).ToListAsync(ct);
        return new Admission(instances, op) { Replayed = true };
    }

    /// <summary>One admission transaction; null when a concurrent request with the same token committed first.</summary>
    private async Task<Admission?> AdmitOnceAsync(AdmissionRequest r, bool freshSnapshot, List<Guid> claimed, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        var demand = r.Flavor.Resources;
        var hosts = await snapshot.GetAsync(db, ct, fresh: freshSnapshot);
        var maxPerHost = options.Value.Placement.MaxInstancesPerHost;
        var kind = r.Plan.Preemptible ? ClaimKind.Preemptible : ClaimKind.Persistent;
        if (r.Group is null && r.Scheme == ProvisioningScheme.Immediate)
        {
            // Nothing can fit on what we see: refuse without a transaction (the caller refreshes once before believing it).
            var quick = PlacementRequests.For(r.Flavor, r.Image, r.Plan, r.ZoneId, null, maxPerHost);
            var seen = pipeline.Rank(quick, hosts, 1);
            if (!seen.Found) throw claimer.Refusal(quick, hosts, seen, lost: 0, r.ExplainRefusals);
        }
        await using var tx = await db.Database.BeginTransactionAsync(ct);

        // The quota first (pending and reserved capacity count too). Its row lock also serialises one tenant's concurrent
        // requests, and each then ranks on a view that already holds the previous one's claim (measured: 2x faster than
        // letting them all race for one host). Instances in a reservation take over quota the reservation already holds.
        var usage = Usage.Of(demand, r.Count);
        if (r.Reservation is { } reservation)
        {
            if (!await claims.TryTakeReservationUnitsAsync(reservation.Id, r.Count, ct))
                throw new ConflictException($"Reservation '{reservation.Name}' has no free slot for {r.Count} more instance(s): all of its {reservation.Count} are in use.");
        }
        else if (!await claims.TryClaimQuotaAsync(r.TenantId, usage, ct))
            throw await QuotaErrorAsync(r.TenantId, usage, ct);
        // With the tenant's (or reservation's) row locked, a request with the same token has committed or not got this far:
        // if it has, roll back and answer with its admission rather than lose on the unique index (the backstop).
        if (r.Idempotency is { } once && await db.Operations.AnyAsync(o => o.ClientToken == once.ClientToken, ct)) return null;

        var request = PlacementRequests.For(r.Flavor, r.Image, r.Plan, r.ZoneId, await claimer.GroupPlacementAsync(r.Group, ct), maxPerHost);
        var parent = r.Count > 1
            ? new Operation(OperationKinds.InstanceCreate, "instance", null, r.TenantId, null, now)
              {
                  ClientToken = r.Idempotency?.ClientToken, RequestHash = r.Idempotency?.RequestHash,
              }
            : null;
        if (parent is not null) db.Operations.Add(parent);

        var instances = new List<Instance>(r.Count);
        Operation? single = null;
        string? waitReason = r.Reservation is { } waitingFor && waitingFor.Status == ReservationStatus.Scheduled
            ? $"Waiting for reservation '{waitingFor.Name}' to start at {waitingFor.Start:u}."
            : null;
        for (var n = 1; n <= r.Count; n++)
        {
            HostCandidate? host = null;
            if (waitReason is null)
            {
                try
                {
                    host = r.Reservation is { } active
                        ? await launcher.ClaimSlotAsync(active, demand, now, ct)
                        : await claimer.ClaimAsync(request, hosts, r.ExplainRefusals, kind, ct);
                }
                catch (NoValidHostException refused) when (r.Scheme == ProvisioningScheme.BestEffort)
                {
                    // Best-effort: this one and the rest of the batch wait in the queue instead of being refused.
                    waitReason = WaitingPlacement.WaitReason(refused);
                }
            }
            if (host is not null)
            {
                // Seen at once by this batch's next pick and by concurrent requests of this process. If the transaction
                // does not commit, the caller re-reads these hosts' committed rows.
                snapshot.Adjust(host.Id, demand, +1, r.Reservation is null ? kind : ClaimKind.InSlot);
                claimed.Add(host.Id);
                if (request.Group is { } placed) request = request with { Group = placed.WithMember(host.Id) };
            }

            var name = r.Count > 1 ? $"{r.Name}-{n}" : r.Name;
            var op = new Operation(OperationKinds.InstanceCreate, "instance", null, r.TenantId, parent?.Id, now)
            {
                Queue = host is null ? null : JobDispatcher.QueueFor(host.Hypervisor, host.Name),
                ClientToken = parent is null ? r.Idempotency?.ClientToken : null,
                RequestHash = parent is null ? r.Idempotency?.RequestHash : null,
            };
            var instance = host is not null
                ? Instance.Place(name, r.TenantId, r.Flavor.Id, r.Image.Id, r.Plan.Id, demand, r.UserData,
                    host.Id, host.ZoneId, r.Actor, op.Id, now, r.Group?.Id)
                : Instance.Queue(name, r.TenantId, r.Flavor.Id, r.Image.Id, r.Plan.Id, demand, r.UserData, r.Reservation?.ZoneId ?? r.ZoneId,
                    r.Actor, op.Id, now, r.Group?.Id, r.Scheme, r.Reservation?.Id, r.ExpiresAt, waitReason!);
            instance.Under(r.Plan, r.Scheme, r.Reservation?.Id);
            if (host is null) op.Wait(waitReason!);
            else if (r.Reservation is not null) await launcher.BindSlotAsync(r.Reservation.Id, host.Id, instance.Id, ct);
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
        op.IsSingle ? [op] : await db.Operations.AsNoTracking().Where(c => c.ParentId == op.Id).OrderBy(c => c.Id).ToListAsync(ct);
}
