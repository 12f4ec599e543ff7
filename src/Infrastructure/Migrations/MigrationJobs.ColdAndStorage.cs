using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;
using IaasApi.Infrastructure.Agents;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Jobs;
using IaasApi.Infrastructure.Persistence;
using IaasApi.Infrastructure.Placement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IaasApi.Infrastructure.Migrations;

/// <summary>Cold migration and live storage migration, stage by stage (see <see cref="MigrationJobs"/>).</summary>
public sealed partial class MigrationJobs
{
    /// <summary>
    /// Cold migration after the reservation: stop (a running VM is shut off on the source) → copy-disks (the driver copies
    /// them to the target's storage; progress recorded) → register (the VM defined on the target, shut off) → commitment
    /// (one transaction, as for live) → activation (the source's copy removed; started on the target if it was running).
    /// Before commitment a failure or cancel discards the target's copy and starts the VM on the source again if it ran.
    /// </summary>
    private async Task DriveColdAsync(Operation op, Migration m, Instance instance, IncomingEndpoint? endpoint, CancellationToken ct)
    {
        var (source, target) = (await HostAsync(m.SourceHostId, ct), await HostAsync(m.TargetHostId!.Value, ct));
        var driver = drivers.For(source.Hypervisor);
        if (m.Stage == MigrationStage.Reservation)
        {
            if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
            m.Enter(MigrationStage.Stop, Now());
            await SaveProgressAsync(op, m, ct);
        }
        if (m.Stage == MigrationStage.Stop)
        {
            if (m.RestartOnTarget && await driver.GetPowerStateAsync(source, instance.Id, ct) == VmPowerState.Running)
                await driver.SetPowerAsync(source, instance.Id, PowerAction.Stop, ct);
            m.Enter(MigrationStage.CopyDisks, Now());
            await SaveProgressAsync(op, m, ct);
        }
        if (m.Stage == MigrationStage.CopyDisks)
        {
            var mbps = m.BandwidthMbps ?? await db.Hosts.AsNoTracking().Where(h => h.Id == source.Id || h.Id == target.Id)
                .MinAsync(h => h.Capacity.NetworkMbps, ct);
            var spec = await SpecAsync(instance, ct);
            endpoint ??= await PrepareTargetAsync(m, source, target, spec, ct);
            await driver.StartDiskCopyAsync(new DiskCopyRequest(source, target, spec, endpoint, planner.LinkFor(mbps).BandwidthMiBps), ct);
            while (true)
            {
                var status = await driver.GetDiskCopyAsync(source, instance.Id, ct);
                m.RecordDiskCopy(status.CopiedMiB, status.TotalMiB);
                if (status.State == DiskCopyState.Failed)
                {
                    await SaveProgressAsync(op, m, ct);
                    throw new StayOnSource(status.Error ?? "The hypervisor ended the disk copy.");
                }
                if (status.State == DiskCopyState.Synced)
                {
                    m.Enter(MigrationStage.Register, Now());
                    await SaveProgressAsync(op, m, ct);
                    break;
                }
                await SaveProgressAsync(op, m, ct);
                if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
                await Task.Delay(Math.Max(10, options.Value.Migration.PollMilliseconds), ct);
            }
        }
        if (m.Stage == MigrationStage.Register)
        {
            if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
            await hosts.RegisterCopyAsync(target, await SpecAsync(instance, ct), m.Id, ct);
            m.Enter(MigrationStage.Commitment, Now());
            await SaveProgressAsync(op, m, ct);
        }
        if (m.Stage == MigrationStage.Commitment) await CommitAsync(op, m, instance, ct);
        if (m.Stage == MigrationStage.Activation) await ActivateColdAsync(op, m, instance, ct);
    }

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
        var driver = drivers.For(host.Hypervisor);
        var targetPool = await db.StoragePools.AsNoTracking().SingleOrDefaultAsync(p => p.Id == m.TargetPoolId, ct)
                         ?? throw new StayOnSource("The target pool no longer exists.");
        if (m.Stage == MigrationStage.PreMigration)
        {
            if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
            if (targetPool.ZoneId != instance.ZoneId) throw new StayOnSource($"Pool '{targetPool.Name}' is not in the instance's zone.");
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (!await claims.TryClaimPoolAsync(targetPool.Id, instance.DiskGiB, ct))
                throw new StayOnSource($"Pool '{targetPool.Name}' no longer has {instance.DiskGiB} GiB free.");
            m.MarkTargetClaimed(true);
            m.Enter(MigrationStage.Reservation, Now());
            await SaveProgressAsync(op, m, ct);
            await tx.CommitAsync(ct);
        }
        if (m.Stage == MigrationStage.Reservation)
        {
            m.Enter(MigrationStage.Copy, Now());
            await SaveProgressAsync(op, m, ct);
        }
        if (m.Stage == MigrationStage.Copy)
        {
            var mbps = m.BandwidthMbps ?? await db.Hosts.AsNoTracking().Where(h => h.Id == host.Id).Select(h => h.Capacity.NetworkMbps).SingleAsync(ct);
            var source = m.SourcePoolId is { } sp ? await db.StoragePools.AsNoTracking().Where(p => p.Id == sp).Select(p => p.Name).SingleOrDefaultAsync(ct) : null;
            await driver.StartStorageMirrorAsync(new StorageMirrorRequest(host, await SpecAsync(instance, ct), source, targetPool.Name,
                planner.LinkFor(mbps).BandwidthMiBps), ct);
            while (true)
            {
                var status = await driver.GetStorageMirrorAsync(host, instance.Id, ct);
                m.RecordDiskCopy(status.CopiedMiB, status.TotalMiB);
                if (status.State == DiskCopyState.Failed)
                {
                    await SaveProgressAsync(op, m, ct);
                    throw new StayOnSource(status.Error ?? "The hypervisor ended the mirror.");
                }
                if (status.State == DiskCopyState.Synced)
                {
                    m.Enter(MigrationStage.Mirror, Now());
                    await SaveProgressAsync(op, m, ct);
                    break;
                }
                await SaveProgressAsync(op, m, ct);
                if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
                await Task.Delay(Math.Max(10, options.Value.Migration.PollMilliseconds), ct);
            }
        }
        if (m.Stage == MigrationStage.Mirror)
        {
            // In sync: the copy receives every write. The switch needs the mirror still healthy and no cancel.
            if (await CancelRequestedAsync(m, ct)) throw new StayOnSource("Cancelled by an operator.", cancelled: true);
            var status = await driver.GetStorageMirrorAsync(host, instance.Id, ct);
            if (status.State != DiskCopyState.Synced) throw new StayOnSource(status.Error ?? "The mirror fell out of sync.");
            m.Enter(MigrationStage.Commitment, Now());
            await SaveProgressAsync(op, m, ct);
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
                m.Enter(MigrationStage.Activation, Now());
                await SaveProgressAsync(op, m, ct);
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
            if (m.SourcePoolId is null) await dispatcher.RequestQueuePassAsync(CancellationToken.None);   // local disk freed
        }
    }

    /// <summary>Cold activation: the source's copy goes, and a VM that was running starts on the target.</summary>
    private async Task ActivateColdAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        var (source, target) = (await HostAsync(m.SourceHostId, ct), await HostAsync(m.TargetHostId!.Value, ct));
        await hosts.ActivateIncomingAsync(target, instance.Id, run: m.RestartOnTarget, m.Id, ct);
        if (!await IsDownAsync(source.Id, ct)) await hosts.CleanUpAsync(HostCall.ReleaseOutgoing, source, instance.Id, m.Id, wait: true, ct);
        if (m.RestartOnTarget)
        {
            m.RecordColdDowntime(Now());
            if (instance.Status == InstanceStatus.Migrating)
                instance.MoveTo(InstanceStatus.Running, "activated", Actors.Worker, op.Id, Now(),
                    $"Started on host '{target.Name}' after {m.DowntimeMs / 1000:F1} s off; its network port is bound there.");
        }
        else
        {
            m.RecordColdDowntime(Now());
            instance.Note("activated", Actors.Worker, op.Id, Now(), $"Registered on host '{target.Name}', stopped as it was; the source's copy is gone.");
        }
        m.Complete($"Completed: {m.DiskTotalMiB ?? 0:F0} MiB of disk copied{(m.RestartOnTarget ? $", {m.DowntimeMs / 1000:F1} s off" : "")}.", Now());
        op.Succeed(Now());
        await db.SaveChangesAsync(ct);
        await dispatcher.RequestQueuePassAsync(CancellationToken.None);
    }
}
