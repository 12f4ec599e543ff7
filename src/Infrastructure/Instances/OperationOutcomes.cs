using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Reservations;
using IaasApi.Domain.Tenancy;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Infrastructure.Instances;

/// <summary>
/// How instance operations end, shared by the jobs and the reconciler so a give-up and a permanent driver failure
/// leave exactly the same state: the instance's status, the capacity claim, the operation and its parent.
/// </summary>
public sealed class OperationOutcomes(IaasDbContext db, CapacityClaims claims)
{
    /// <summary>
    /// The work failed for good. Create → instance <c>error</c>, host capacity released. Start/stop/reboot → the
    /// instance returns to its previous stable status (the VM did not change). Delete → <c>error</c>, claim kept
    /// (the VM may still exist). One transaction.
    /// </summary>
    public async Task FailAsync(Operation op, Instance instance, OperationError error, string actor, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        switch (op.Kind)
        {
            case OperationKinds.InstanceCreate when instance.Status == InstanceStatus.Building:
                instance.Fail(error.Detail ?? error.Title, actor, op.Id, now);
                await ReleaseHostClaimAsync(instance, ct);
                break;
            case OperationKinds.InstanceStop when instance.Status == InstanceStatus.Stopping:
            case OperationKinds.InstanceReboot when instance.Status == InstanceStatus.Rebooting:
                instance.MoveTo(InstanceStatus.Running, VerbOf(op) + "-failed", actor, op.Id, now, error.Detail);
                break;
            case OperationKinds.InstanceRestore when instance.Status is InstanceStatus.Starting or InstanceStatus.Rebooting:
                // The driver may have shut the VM off before it failed: stopped, its disk as the restore left it.
                instance.MoveTo(InstanceStatus.Stopped, "restore-failed", actor, op.Id, now, $"{error.Detail ?? error.Title} Start it to run it as it is, or restore again.");
                foreach (var snapshot in await db.Snapshots.Where(s => s.OperationId == op.Id).ToListAsync(ct)) snapshot.EndRestore();
                break;
            case OperationKinds.InstanceStart when instance.Status == InstanceStatus.Starting:
                instance.MoveTo(InstanceStatus.Stopped, "start-failed", actor, op.Id, now, error.Detail);
                break;
            case OperationKinds.InstanceDelete when instance.Status == InstanceStatus.Deleting:
                instance.Fail(error.Detail ?? error.Title, actor, op.Id, now);
                break;
            case OperationKinds.InstanceSuspend when instance.Status == InstanceStatus.Suspended:
                // Its capacity already went to the reservation; the job destroyed the VM it could not save.
                instance.Fail($"Preempted, but its state could not be saved ({error.Detail ?? error.Title}); the VM was destroyed.", actor, op.Id, now);
                break;
            case OperationKinds.InstanceResume when instance.Status == InstanceStatus.Starting:
                instance.Fail($"Could not be resumed: {error.Detail ?? error.Title}", actor, op.Id, now);
                await ReleaseHostClaimAsync(instance, ct);
                break;
            case OperationKinds.InstanceShelve when instance.Status is InstanceStatus.Stopping or InstanceStatus.Stopped:
                // The VM may still be on its host: its claim stays until it is deleted.
                instance.Fail($"The reservation ended but the VM could not be stopped and saved: {error.Detail ?? error.Title}", actor, op.Id, now);
                break;
        }
        op.Fail(error, now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await ParentOperations.RollUpAsync(db, op.ParentId, ct);
    }

    /// <summary>Deletion confirmed by the driver: release capacity and quota, mark deleted, in one transaction.</summary>
    public async Task CompleteDeleteAsync(Operation op, Instance instance, string actor, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Lock order everywhere: tenant row, then reservation row, then host rows (admission claims in that order), so no
        // two transactions wait on each other in a cycle.
        await ReleaseQuotaAsync(instance, ct);
        await ReleaseHostClaimAsync(instance, ct);
        await ReleasePooledDiskAsync(instance, ct);
        instance.MarkDeleted(actor, op.Id, now);
        op.Succeed(now);
        // Work still open on it (a create waiting for capacity, one a killed worker left behind) ends with its instance.
        foreach (var open in await db.Operations.Where(o => o.ResourceId == instance.Id && o.Id != op.Id && o.Status == OperationStatus.Running).ToListAsync(ct))
            open.Cancel(open.Waiting ? "The instance was deleted before it got capacity." : "The instance was deleted before this work finished.", now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// A shelve (a reservation ended with onEnd "stop") confirmed by the driver: the VM is saved off its host, so its
    /// capacity returns; the instance leaves the reservation and reads <c>stopped</c>. One transaction.
    /// </summary>
    public async Task CompleteShelveAsync(Operation op, Instance instance, string actor, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await ReleaseHostClaimAsync(instance, ct);
        instance.LeaveReservation("Its reservation ended: the VM was stopped and saved off its host, and its capacity returned. Starting it places it again.");
        if (instance.Status == InstanceStatus.Stopping) instance.MoveTo(InstanceStatus.Stopped, "stopped", actor, op.Id, now, "Shelved at the reservation's end.");
        op.Succeed(now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The image a snapshot-then-delete writes: the instance's name and id, so it is unique and traceable.</summary>
    public static string SnapshotName(Instance instance) => $"{instance.Name}-final-{instance.Id.ToString("N")[..8]}";

    /// <summary>Records a snapshot the driver took as a private image of the instance's tenant (idempotent per instance).</summary>
    public async Task RecordSnapshotAsync(Instance instance, string name, int sizeMiB, CancellationToken ct)
    {
        if (await db.Images.AnyAsync(i => i.SourceInstanceId == instance.Id, ct)) return;
        var source = instance.ImageId is { } imageId ? await db.Images.AsNoTracking().SingleOrDefaultAsync(i => i.Id == imageId, ct) : null;
        var image = Image.SnapshotOf(instance, source, name, sizeMiB, db.Clock.GetUtcNow());
        db.Images.Add(image);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// The instance's usage stops counting for its tenant. An instance of a live reservation gives its unit back to the
    /// reservation instead (which keeps holding the quota for it, so the slot can be used again).
    /// </summary>
    public async Task ReleaseQuotaAsync(Instance instance, CancellationToken ct)
    {
        if (!instance.QuotaClaimed) return;
        await claims.LockTenantAsync(instance.TenantId, ct);
        if (instance.ReservationId is not { } reservationId || !await claims.TryReturnReservationUnitAsync(reservationId, ct))
            await claims.ReleaseQuotaAsync(instance.TenantId, Usage.Of(instance.Resources, 1), ct);
        instance.ReleaseQuota();
    }

    /// <summary>
    /// Releases the instance's host claim. A claim in a reservation's slot frees the slot; while the reservation lasts
    /// its capacity stays reserved (idle) for the next instance of that reservation.
    /// </summary>
    public async Task ReleaseHostClaimAsync(Instance instance, CancellationToken ct)
    {
        if (instance.HostId is not { } hostId) return;
        var backToSlot = false;
        if (instance.ClaimKind == ClaimKind.InSlot && instance.ReservationId is { } reservationId)
        {
            backToSlot = await claims.LockReservationAsync(reservationId, ct) == ReservationStatus.Active;
            await db.ReservationSlots.Where(s => s.InstanceId == instance.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.InstanceId, (Guid?)null), ct);
        }
        await claims.ReleaseHostAsync(hostId, instance.Resources, instance.ClaimKind, ct, backToSlot);
        instance.ReleaseResources();
    }

    /// <summary>A deleted instance's disk on a storage pool frees its space there.</summary>
    public async Task ReleasePooledDiskAsync(Instance instance, CancellationToken ct)
    {
        if (instance.StoragePoolId is { } poolId && instance.PooledDiskGiB > 0) await claims.ReleasePoolAsync(poolId, instance.PooledDiskGiB, ct);
    }

    private static string VerbOf(Operation op) => op.Kind[(op.Kind.IndexOf('.') + 1)..];
}
