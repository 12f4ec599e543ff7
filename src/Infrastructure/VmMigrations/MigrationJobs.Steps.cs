using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;

namespace IaasApi.Infrastructure.VmMigrations;

/// <summary>
/// The steps every migration type is made of: a stage entered and persisted before its work, progress saved as it comes,
/// an operator's cancel honoured between steps, a copy polled until in sync.
/// </summary>
public sealed partial class MigrationJobs
{
    private async Task EnterAsync(Operation op, Migration m, MigrationStage stage, CancellationToken ct)
    {
        m.Enter(stage, Now());
        await SaveProgressAsync(op, m, ct);
    }

    private async Task SaveProgressAsync(Operation op, Migration m, CancellationToken ct)
    {
        op.ReportProgress(m.Percent());
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Before commitment an operator's cancel ends the migration on its source (read fresh: the request is another process's write).</summary>
    private async Task ThrowIfCancelRequestedAsync(Migration m, CancellationToken ct)
    {
        if (await db.Migrations.AsNoTracking().Where(x => x.Id == m.Id).Select(x => x.CancelRequested).SingleAsync(ct))
            throw new StayOnSource("Cancelled by an operator.", cancelled: true);
    }

    /// <summary>
    /// Follows a copy (cold's disks, storage's mirror) until the driver has it in sync, recording its progress; then enters
    /// <paramref name="next"/>. A failed copy, or a cancel between polls, ends the migration on its source.
    /// </summary>
    private async Task CopyUntilSyncedAsync(Operation op, Migration m, Func<Task<DiskCopyStatus>> read, MigrationStage next, string ended,
                                            CancellationToken ct)
    {
        while (true)
        {
            var status = await read();
            m.RecordDiskCopy(status.CopiedMiB, status.TotalMiB);
            if (status.State == DiskCopyState.Failed)
            {
                await SaveProgressAsync(op, m, ct);
                throw new StayOnSource(status.Error ?? ended);
            }
            if (status.State == DiskCopyState.Synced)
            {
                await EnterAsync(op, m, next, ct);
                return;
            }
            await SaveProgressAsync(op, m, ct);
            await ThrowIfCancelRequestedAsync(m, ct);
            await Task.Delay(PollInterval, ct);
        }
    }

    private TimeSpan PollInterval => TimeSpan.FromMilliseconds(Math.Max(10, options.Value.Migration.PollMilliseconds));

    private Task<InstanceSpec> SpecAsync(Instance instance, CancellationToken ct) => InstanceSpecs.OfAsync(db, instance, ct);

    private async Task<HostRef> HostAsync(Guid id, CancellationToken ct) =>
        await FindHostAsync(id, ct) ?? throw new StayOnSource($"Host {id} no longer exists.");

    /// <summary>The migration's two ends (each a <see cref="StayOnSource"/> if its host is gone).</summary>
    private async Task<(HostRef Source, HostRef Target)> EndsAsync(Migration m, CancellationToken ct) =>
        (await HostAsync(m.SourceHostId, ct), await HostAsync(m.TargetHostId!.Value, ct));

    private Task<HostRef?> FindHostAsync(Guid id, CancellationToken ct) => HostRefs.FindAsync(db, id, ct);

    private DateTimeOffset Now() => db.Clock.GetUtcNow();
}
