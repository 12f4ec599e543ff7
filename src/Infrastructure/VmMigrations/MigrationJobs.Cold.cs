using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Agents;

namespace IaasApi.Infrastructure.VmMigrations;

/// <summary>Cold migration's own stages (see <see cref="MigrationJobs"/>).</summary>
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
        var (source, target) = await EndsAsync(m, ct);
        var driver = drivers.For<IColdMigrationDriver>(source.Hypervisor);
        if (m.Stage == MigrationStage.Reservation)
        {
            await ThrowIfCancelRequestedAsync(m, ct);
            await EnterAsync(op, m, MigrationStage.Stop, ct);
        }
        if (m.Stage == MigrationStage.Stop)
        {
            if (m.RestartOnTarget && await drivers.For(source.Hypervisor).GetPowerStateAsync(source, instance.Id, ct) == VmPowerState.Running)
                await drivers.For(source.Hypervisor).SetPowerAsync(source, instance.Id, PowerAction.Stop, ct);
            await EnterAsync(op, m, MigrationStage.CopyDisks, ct);
        }
        if (m.Stage == MigrationStage.CopyDisks)
        {
            var mbps = m.BandwidthMbps ?? await db.Hosts.AsNoTracking().Where(h => h.Id == source.Id || h.Id == target.Id)
                .MinAsync(h => h.Capacity.NetworkMbps, ct);
            var spec = await SpecAsync(instance, ct);
            endpoint ??= await PrepareTargetAsync(m, source, target, spec, ct);
            await driver.StartDiskCopyAsync(new DiskCopyRequest(source, target, spec, endpoint, planner.LinkFor(mbps).BandwidthMiBps), ct);
            await CopyUntilSyncedAsync(op, m, () => driver.GetDiskCopyAsync(source, instance.Id, ct), MigrationStage.Register, "The hypervisor ended the disk copy.", ct);
        }
        if (m.Stage == MigrationStage.Register)
        {
            await ThrowIfCancelRequestedAsync(m, ct);
            await hosts.RegisterCopyAsync(target, await SpecAsync(instance, ct), m.Id, ct);
            await EnterAsync(op, m, MigrationStage.Commitment, ct);
        }
        if (m.Stage == MigrationStage.Commitment) await CommitAsync(op, m, instance, ct);
        if (m.Stage == MigrationStage.Activation) await ActivateColdAsync(op, m, instance, ct);
    }

    /// <summary>Cold activation: the source's copy goes, and a VM that was running starts on the target.</summary>
    private async Task ActivateColdAsync(Operation op, Migration m, Instance instance, CancellationToken ct)
    {
        var (source, target) = await EndsAsync(m, ct);
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
        await passes.RequestAsync(CancellationToken.None);
    }
}
