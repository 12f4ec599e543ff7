using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Operations;
using IaasApi.Infrastructure.Placement;
using IaasApi.Infrastructure.Reservations;
using static IaasApi.Domain.Instances.InstanceStatus;

namespace IaasApi.Api.Features.Instances;

public sealed record ResetStateRequest(InstanceStatus? Status, string? Reason);

public sealed class ResetStateValidator : AbstractValidator<ResetStateRequest>
{
    public ResetStateValidator()
    {
        RuleFor(x => x.Status).NotNull().Must(s => s is Error or Stopped or Running)
            .WithMessage("'Status' must be 'error', 'stopped' or 'running'.");
        RuleFor(x => x.Reason).MaximumLength(Limits.DetailMaxLength).PlainText();
    }
}

/// <summary>Start, stop, reboot and delete: a transition to the transitional status plus an operation, then a job.</summary>
public static class InstanceActions
{
    private sealed record ActionSpec(InstanceStatus Transitional, string Kind, string Verb);

    private static readonly Dictionary<string, ActionSpec> PowerActions = new(StringComparer.Ordinal)
    {
        ["start"] = new(Starting, OperationKinds.InstanceStart, "start"),
        ["stop"] = new(Stopping, OperationKinds.InstanceStop, "stop"),
        ["reboot"] = new(Rebooting, OperationKinds.InstanceReboot, "reboot"),
    };

    public static async Task<Accepted<InstanceResponse>> Power(Guid id, string action, Caller caller, IaasDbContext db, JobDispatcher dispatcher,
                                                               WaitingPlacement placement, ReservationClock reservations, HttpContext http,
                                                               CancellationToken ct)
    {
        if (!PowerActions.TryGetValue(action, out var spec)) throw new NotFoundException("action", action);
        var instance = await InstanceQueries.FindVisibleAsync(db, caller, id, ct);
        if (instance.Status == Suspended)
            throw new InvalidStateException($"Instance '{instance.Id}' is 'suspended' (preempted): it resumes by itself when capacity frees; delete it to give up.");
        if (action == "start" && instance.Status == Pending && instance.ReservationId is not null)
        {
            // A pending instance of a started reservation (created without autoStart): it launches in its slot now.
            ETags.CheckIfMatch(http, instance.Version);
            db.ChangeTracker.Clear();
            instance = await reservations.StartPendingAsync(id, ct);
            ETags.Set(http, instance.Version);
            return TypedResults.Accepted($"/v1/instances/{instance.Id}", InstanceResponse.From(instance, caller.IsAdmin));
        }
        if (action == "start" && instance.Status == Stopped && instance.HostId is null)
        {
            // Stopped and saved off its host (its reservation ended): placed again like a new instance, then restored.
            ETags.CheckIfMatch(http, instance.Version);
            var op = await placement.PlaceWaitingAsync(instance, fresh: true, ct);
            await dispatcher.DispatchAsync(op, CancellationToken.None);
            ETags.Set(http, instance.Version);
            return TypedResults.Accepted($"/v1/instances/{instance.Id}", InstanceResponse.From(instance, caller.IsAdmin));
        }
        return await BeginAsync(id, spec, caller, db, dispatcher, http, ct, instance);
    }

    /// <summary>
    /// DELETE is idempotent: deleting a deleting or deleted instance — including one a concurrent DELETE just moved
    /// there — answers 202 with its current state.
    /// </summary>
    public static async Task<Accepted<InstanceResponse>> Delete(Guid id, Caller caller, IaasDbContext db, JobDispatcher dispatcher, HttpContext http,
                                                                CancellationToken ct)
    {
        var instance = await InstanceQueries.FindVisibleAsync(db, caller, id, ct);
        ETags.CheckIfMatch(http, instance.Version);
        // A job moving the instance on (building → running) between our read and our write is not a reason to refuse a
        // delete the client did not condition on a version: read it again and delete that. With If-Match, it is a 412/409.
        var conditional = http.Request.Headers.IfMatch.Count > 0;
        for (var attempt = 1; instance.Status is not (Deleting or Deleted); attempt++)
        {
            try
            {
                return await BeginAsync(id, new ActionSpec(Deleting, OperationKinds.InstanceDelete, "delete"), caller, db, dispatcher, http, ct, instance);
            }
            catch (DbUpdateConcurrencyException) when (!conditional && attempt < 4)
            {
                db.ChangeTracker.Clear();
                instance = await InstanceQueries.FindVisibleAsync(db, caller, id, ct);
            }
            catch (DbUpdateConcurrencyException) when (conditional)
            {
                db.ChangeTracker.Clear();
                instance = await InstanceQueries.FindVisibleAsync(db, caller, id, ct);
                if (instance.Status is not (Deleting or Deleted)) throw;
            }
        }
        ETags.Set(http, instance.Version);
        return TypedResults.Accepted($"/v1/instances/{id}", InstanceResponse.From(instance, caller.IsAdmin));
    }

    private static async Task<Accepted<InstanceResponse>> BeginAsync(Guid id, ActionSpec spec, Caller caller, IaasDbContext db,
                                                                     JobDispatcher dispatcher, HttpContext http, CancellationToken ct,
                                                                     Instance? loaded = null)
    {
        var instance = loaded ?? await InstanceQueries.FindVisibleAsync(db, caller, id, ct);
        ETags.CheckIfMatch(http, instance.Version);
        var op = new Operation(spec.Kind, "instance", instance.Id, instance.TenantId, null, db.Clock.GetUtcNow())
        {
            Queue = await JobDispatcher.QueueForVmAsync(db, instance, ct),
        };
        instance.Begin(spec.Transitional, spec.Verb, caller.Actor, op.Id, db.Clock.GetUtcNow());   // 409 invalid-state if not allowed
        db.Operations.Add(op);
        await db.SaveChangesAsync(ct);                                                             // 409 if it changed concurrently
        await dispatcher.DispatchAsync(op, CancellationToken.None);   // committed: the client leaving must not stop the enqueue
        ETags.Set(http, instance.Version);
        return TypedResults.Accepted($"/v1/instances/{instance.Id}", InstanceResponse.From(instance, caller.IsAdmin));
    }

    /// <summary>
    /// Operators' repair: force error/stopped/running, audited. Going back to running or stopped re-takes the host
    /// claim if it was released (409 if the host has no room); any operation still running on it is cancelled.
    /// </summary>
    public static async Task<Ok<InstanceResponse>> ResetState(Guid id, ResetStateRequest req, Caller caller, IaasDbContext db, CapacityClaims claims,
                                                              HttpContext http, CancellationToken ct)
    {
        var instance = await db.Instances.GetAsync(id, "instance", ct);
        ETags.CheckIfMatch(http, instance.Version);
        // A live migration owns the instance (and may hold a claim on its target): it ends by its own rules first.
        if (await db.Migrations.AsNoTracking().Where(m => m.InstanceId == id && (m.Status == MigrationStatus.Queued || m.Status == MigrationStatus.Running))
                .Select(m => (Guid?)m.Id).FirstOrDefaultAsync(ct) is { } live)
            throw new InvalidStateException($"Migration {live} of the instance is still live; cancel it first (POST /v1/migrations/{live}/actions/cancel), " +
                                            "then reset the instance's state if it still needs it.");
        var target = req.Status!.Value;
        var now = db.Clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (target is Running or Stopped && instance.HostId is null && instance.Status != Deleted)
        {
            if (instance.LastHostId is not { } hostId)
                throw new ConflictException("The instance was never placed on a host; it cannot be running or stopped.");
            // Outside any slot (a released slot may have been taken again): under the instance's own plan terms.
            if (!await claims.TryReclaimHostAsync(hostId, instance.Resources, instance.OwnKind, ct))
                throw new ConflictException("The instance's host no longer has room for it; it cannot be reset to running or stopped.");
            instance.ReclaimResources(hostId, instance.OwnKind);
        }
        if (instance.OperationId is { } opId && await db.Operations.SingleOrDefaultAsync(o => o.Id == opId, ct) is { IsFinished: false } op)
            op.Cancel($"Superseded by an operator's reset-state to '{EnumWords.ToWord(target)}'.", now);
        instance.ResetState(target, caller.Actor, req.Reason, now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        ETags.Set(http, instance.Version);
        return TypedResults.Ok(InstanceResponse.From(instance, admin: true));
    }
}
