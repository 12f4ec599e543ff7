using IaasApi.Infrastructure.Instances;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Snapshots;
using IaasApi.Infrastructure.Hypervisors;

namespace IaasApi.Infrastructure.Snapshots;

/// <summary>
/// Takes a snapshot at the driver (the instance must still be running or stopped on its host: its memory only while it
/// runs) and records its size, or the reason it could not be taken; deletes one at the driver. Transient driver errors
/// are retried by Hangfire up to <c>Iaas:Jobs:MaxAttempts</c>. A snapshot deleted while it was being taken (its instance
/// deleted meanwhile) is removed at the driver once taken.
/// </summary>
public sealed class SnapshotJobs(IaasDbContext db, HypervisorDrivers drivers, IOptions<IaasOptions> options, ILogger<SnapshotJobs> log)
{
    public async Task CreateAsync(Guid operationId, CancellationToken ct)
    {
        if (await LoadAsync(operationId, ct) is not var (op, snapshot)) return;
        if (snapshot.Status != SnapshotStatus.Creating)
        {
            op.Cancel($"The snapshot is '{EnumWords.ToWord(snapshot.Status)}', no longer being taken.", Now());
            await db.SaveChangesAsync(ct);
            return;
        }
        var instance = await db.Instances.AsNoTracking().SingleAsync(i => i.Id == snapshot.InstanceId, ct);
        if (instance.Status is not (InstanceStatus.Running or InstanceStatus.Stopped) || instance.HostId is not { } hostId
            || (snapshot.IncludesMemory && instance.Status != InstanceStatus.Running))
        {
            await FailAsync(op, snapshot, $"The instance became '{EnumWords.ToWord(instance.Status)}' before its snapshot was taken.", ct);
            return;
        }
        var host = await HostAsync(hostId, ct);
        op.StartAttempt();
        await db.SaveChangesAsync(ct);
        int size;
        try
        {
            size = await drivers.For<ISnapshotDriver>(host.Hypervisor).SaveSnapshotAsync(host, instance.Id, snapshot.Id, snapshot.IncludesMemory, ct);
        }
        catch (HypervisorException ex) when (options.Value.Jobs.Retries(op, ex))
        {
            op.RecordTransientError(ex.Message);
            await db.SaveChangesAsync(ct);
            throw;
        }
        catch (HypervisorException ex)
        {
            await FailAsync(op, snapshot, ex.Message, ct);
            return;
        }
        try
        {
            snapshot.Complete(size);
            op.Succeed(Now());
            await db.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (ex is DbUpdateConcurrencyException or InvalidStateException)
        {
            // Deleted while it was taken (with its instance, or by its tenant): what the driver saved goes.
            db.ChangeTracker.Clear();
            await drivers.For<ISnapshotDriver>(host.Hypervisor).DeleteSnapshotAsync(host, instance.Id, snapshot.Id, ct);
            var fresh = await db.Operations.SingleAsync(o => o.Id == operationId, ct);
            if (!fresh.IsFinished) fresh.Cancel("The snapshot was deleted while it was taken.", Now());
            await db.SaveChangesAsync(ct);
        }
    }

    public async Task DeleteAsync(Guid operationId, CancellationToken ct)
    {
        if (await LoadAsync(operationId, ct) is not var (op, snapshot)) return;
        if (snapshot.Status != SnapshotStatus.Deleting)
        {
            op.Cancel($"The snapshot is '{EnumWords.ToWord(snapshot.Status)}', not being deleted.", Now());
            await db.SaveChangesAsync(ct);
            return;
        }
        var hostId = await db.Instances.AsNoTracking().Where(i => i.Id == snapshot.InstanceId).Select(i => i.HostId ?? i.LastHostId).SingleAsync(ct);
        op.StartAttempt();
        await db.SaveChangesAsync(ct);
        if (hostId is { } id)
        {
            var host = await HostAsync(id, ct);
            try
            {
                await drivers.For<ISnapshotDriver>(host.Hypervisor).DeleteSnapshotAsync(host, snapshot.InstanceId, snapshot.Id, ct);
            }
            catch (HypervisorException ex) when (options.Value.Jobs.Retries(op, ex))
            {
                op.RecordTransientError(ex.Message);
                await db.SaveChangesAsync(ct);
                throw;
            }
            catch (HypervisorException ex)
            {
                log.LogWarning("Deleting snapshot {SnapshotId} failed: {Message}", snapshot.Id, ex.Message);
                op.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.HypervisorError), "The hypervisor could not delete the snapshot.", ex.Message), Now());
                await db.SaveChangesAsync(ct);
                return;
            }
        }
        snapshot.MarkDeleted();
        op.Succeed(Now());
        await db.SaveChangesAsync(ct);
    }

    private async Task FailAsync(Operation op, Snapshot snapshot, string reason, CancellationToken ct)
    {
        snapshot.Fail(reason);
        op.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.HypervisorError), "The snapshot could not be taken.", reason), Now());
        await db.SaveChangesAsync(ct);
    }

    private async Task<(Operation, Snapshot)?> LoadAsync(Guid operationId, CancellationToken ct)
    {
        var op = await db.Operations.SingleOrDefaultAsync(o => o.Id == operationId, ct);
        if (op is null || op.IsFinished || op.ResourceId is not { } snapshotId) return null;
        var snapshot = await db.Snapshots.SingleOrDefaultAsync(s => s.Id == snapshotId, ct);
        if (snapshot is not null) return (op, snapshot);
        op.Cancel("The snapshot no longer exists.", Now());
        await db.SaveChangesAsync(ct);
        return null;
    }

    private async Task<HostRef> HostAsync(Guid id, CancellationToken ct) =>
        await HostRefs.FindAsync(db, id, ct)
        ?? throw new HypervisorException($"Host {id} no longer exists.", isTransient: false);

    private DateTimeOffset Now() => db.Clock.GetUtcNow();
}
