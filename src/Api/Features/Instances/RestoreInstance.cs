using IaasApi.Api.Features.Snapshots;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Operations;

namespace IaasApi.Api.Features.Instances;

/// <summary><c>POST /v1/instances/{id}/actions/restore</c>: back to one of the instance's snapshots (an <c>instance.restore</c> operation).</summary>
public static class RestoreInstance
{
    /// <summary>
    /// Puts the instance back to one of its available snapshots and runs it from there (resumed from the saved memory,
    /// or booted from the saved disk): running → <c>rebooting</c>, or stopped → <c>starting</c>, then <c>running</c>.
    /// </summary>
    public static async Task<Accepted<InstanceResponse>> Handle(Guid id, RestoreSnapshotRequest req, Caller caller, IaasDbContext db,
                                                                JobDispatcher dispatcher, HttpContext http, CancellationToken ct)
    {
        var instance = await InstanceQueries.FindVisibleAsync(db, caller, id, ct);
        ETags.CheckIfMatch(http, instance.Version);
        var snapshot = await db.Snapshots.SingleOrDefaultAsync(s => s.Id == req.SnapshotId && s.InstanceId == id, ct)
                       ?? throw new NotFoundException("snapshot", req.SnapshotId!.Value);
        if (instance.Status is not (InstanceStatus.Running or InstanceStatus.Stopped) || instance.HostId is null)
            throw new InvalidStateException(
                $"Instance '{instance.Name}' is '{EnumWords.ToWord(instance.Status)}'; a running or stopped instance on its host is restored.");
        var now = db.Clock.GetUtcNow();
        var op = await SnapshotsEndpoints.OperationOnHostAsync(db, OperationKinds.InstanceRestore, instance, "instance", instance.Id, now, ct);
        snapshot.BeginRestore(op.Id);                                                                 // 409 unless available
        // Running: reset in place (rebooting); stopped: started from the snapshot (starting). Either way it runs afterwards.
        instance.MoveTo(instance.Status == InstanceStatus.Running ? InstanceStatus.Rebooting : InstanceStatus.Starting, "restore", caller.Actor, op.Id, now,
            $"To snapshot '{snapshot.Name}' ({snapshot.Id}).");
        instance.Track(op.Id);
        db.Operations.Add(op);
        await db.SaveChangesAsync(ct);
        await dispatcher.DispatchAsync(op, CancellationToken.None);
        ETags.Set(http, instance.Version);
        return TypedResults.Accepted($"/v1/instances/{instance.Id}", InstanceResponse.From(instance, caller.IsAdmin));
    }
}
