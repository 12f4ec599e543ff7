using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;

namespace IaasApi.Infrastructure.VmMigrations;

/// <summary>Live storage migration's stages (see <see cref="MigrationJobs"/>).</summary>
public sealed partial class MigrationJobs
{
    /// <summary>
    /// Live storage migration: pre-migration (the pool still in the instance's zone) → reservation (the pool's space
    /// claimed; the disk's current place keeps its allocation) → copy (the driver mirrors the disk while the VM uses its
    /// source; progress recorded) → mirror (in sync: every write goes to both) → commitment (one transaction: the disk's
    /// old allocation released — the host's local disk or the old pool — and the instance reads the new pool) →
    /// activation (the driver pivots the VM onto the copy and deletes the source). Before commitment a failure or cancel
    /// stops the mirror, deletes the copy and releases the pool's claim: the VM keeps its disk where it was.
    /// </summary>
    private async Task DriveStorageAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        var host = await HostAsync(m.SourceHostId, ct);
        var driver = drivers.For<IStorageMirrorDriver>(host.Hypervisor);
        var targetPool = await db.StoragePools.AsNoTracking().SingleOrDefaultAsync(p => p.Id == m.TargetPoolId, ct)
                         ?? throw new StayOnSource("The target pool no longer exists.");
        if (m.Stage == MigrationStage.PreMigration)
        {
            await ThrowIfCancelRequestedAsync(m, ct);
            if (targetPool.ZoneId != instance.ZoneId) throw new StayOnSource($"Pool '{targetPool.Name}' is not in the instance's zone.");
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (!await claims.TryClaimPoolAsync(targetPool.Id, instance.DiskGiB, ct))
                throw new StayOnSource($"Pool '{targetPool.Name}' no longer has {instance.DiskGiB} GiB free.");
            m.MarkTargetClaimed(true);
            await EnterAsync(op, m, MigrationStage.Reservation, ct);
            await tx.CommitAsync(ct);
        }
        if (m.Stage == MigrationStage.Reservation)
        {
            await EnterAsync(op, m, MigrationStage.Copy, ct);
        }
        if (m.Stage == MigrationStage.Copy)
        {
            var mbps = m.BandwidthMbps ?? await db.Hosts.AsNoTracking().Where(h => h.Id == host.Id).Select(h => h.Capacity.NetworkMbps).SingleAsync(ct);
            var source = m.SourcePoolId is { } sp ? await db.StoragePools.AsNoTracking().Where(p => p.Id == sp).Select(p => p.Name).SingleOrDefaultAsync(ct) : null;
            await driver.StartStorageMirrorAsync(new StorageMirrorRequest(host, await SpecAsync(instance, ct), source, targetPool.Name,
                planner.LinkFor(mbps).BandwidthMiBps), ct);
            await CopyUntilSyncedAsync(op, m, () => driver.GetStorageMirrorAsync(host, instance.Id, ct), MigrationStage.Mirror, "The hypervisor ended the mirror.", ct);
        }
        if (m.Stage == MigrationStage.Mirror)
        {
            // In sync: the copy receives every write. The switch needs the mirror still healthy and no cancel.
            await ThrowIfCancelRequestedAsync(m, ct);
            var status = await driver.GetStorageMirrorAsync(host, instance.Id, ct);
            if (status.State != DiskCopyState.Synced) throw new StayOnSource(status.Error ?? "The mirror fell out of sync.");
            await EnterAsync(op, m, MigrationStage.Commitment, ct);
        }
        if (m.Stage == MigrationStage.Commitment)
        {
            var disk = instance.DiskGiB;
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                if (m.SourcePoolId is { } oldPool) await claims.ReleasePoolAsync(oldPool, disk, ct);
                else await claims.ReleaseHostDiskAsync(host.Id, disk, instance.ClaimKind, ct);
                instance.CommitDiskMove(targetPool.Id, Actors.Worker, op.Id, Now(),
                    $"Its {disk} GiB disk moved to pool '{targetPool.Name}' while it ran ({m.DiskTotalMiB ?? 0:F0} MiB copied, then mirrored until in sync).");
                await EnterAsync(op, m, MigrationStage.Activation, ct);
                await tx.CommitAsync(ct);
            }
            catch (Exception ex) when (ex is DbUpdateConcurrencyException or InvalidStateException)
            {
                throw new StayOnSource($"The instance changed during the commitment; the move was not recorded ({ex.Message}).");
            }
            if (m.SourcePoolId is null) snapshot.Adjust(host.Id, new Resources(0, 0, -disk, 0), 0, instance.ClaimKind);
        }
        if (m.Stage == MigrationStage.Activation)
        {
            await driver.PivotStorageMirrorAsync(host, instance.Id, ct);
            Activated(instance, op, $"Running on its copy on pool '{targetPool.Name}'; the source disk is deleted.");
            m.Complete($"Completed: {m.DiskTotalMiB ?? 0:F0} MiB copied to pool '{targetPool.Name}'.", Now());
            op.Succeed(Now());
            await db.SaveChangesAsync(ct);
            if (m.SourcePoolId is null) await passes.RequestAsync(CancellationToken.None);   // local disk freed
        }
    }
}
