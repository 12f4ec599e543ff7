using IaasApi.Domain.Inventory;
using IaasApi.Domain.Migrations;
using IaasApi.Infrastructure.Hosts;

namespace IaasApi.Infrastructure.VmMigrations;

/// <summary>A down host's migrations end before its evacuation (the host monitor, in the tick).</summary>
public sealed class MigrationsOnDownHost(IaasDbContext db, IMigrationJobs migrations, ILogger<MigrationsOnDownHost> log) : IHostDownWork
{
    /// <summary>
    /// The migrations a down host takes part in, ended as <see cref="Domain.Migrations.Migration.WhenHostDown"/> says:
    /// before the target holds the whole guest the VM stays with its source (and a down source is evacuated right after),
    /// after it the move is committed on the target. One at a time; one that changed meanwhile is looked at next tick.
    /// </summary>
    public async Task<bool> EndAsync(Host host, CancellationToken ct)
    {
        var live = await Of(host).OrderBy(m => m.Id).Select(m => m.Id).ToListAsync(ct);
        foreach (var id in live)
        {
            try
            {
                await migrations.HostDownAsync(id, host.Id, ct);
            }
            catch (Exception ex) when (ex is DbUpdateConcurrencyException || DatabaseErrors.IsTransientConflict(ex))
            {
                log.LogInformation("Migration {MigrationId} changed while host {Host} went down; the next tick looks again", id, host.Name);
            }
            db.ChangeTracker.Clear();
        }
        // Left: a migration whose instance is still on the host (one committed elsewhere finishes there, on its own).
        return !await Of(host).AnyAsync(m => db.Instances.Any(i => i.Id == m.InstanceId && i.HostId == host.Id), ct);
    }

    /// <summary>The live migrations to or from <paramref name="host"/>.</summary>
    private IQueryable<Migration> Of(Host host) =>
        db.Migrations.AsNoTracking().Where(m => (m.Status == MigrationStatus.Queued || m.Status == MigrationStatus.Running)
                                                && (m.SourceHostId == host.Id || m.TargetHostId == host.Id));
}
