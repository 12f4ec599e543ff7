using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace IaasApi.Infrastructure.Persistence;

/// <summary>
/// The schema's migrations were squashed into one <c>Initial</c> per provider on 2026-12-07 (eighteen per provider
/// before). A database migrated by an earlier build lists the old ids in its history: if it reached the last of them its
/// schema is exactly the new <c>Initial</c>'s, and its history is rewritten to say so before migrating; if it stopped
/// short, it is refused with what to do — never migrated blindly over a schema EF no longer knows.
/// </summary>
public static class SquashedHistory
{
    /// <summary>The last migration before the squash, per provider: a database that has it holds <c>Initial</c>'s schema.</summary>
    private static readonly string[] LastBeforeSquash = ["20261206202950_InstanceLastHost", "20261206203047_InstanceLastHost"];

    /// <summary>Rewrites an adoptable pre-squash history; returns whether it did. Throws for one that stopped short.</summary>
    public static async Task<bool> AdoptAsync(IaasDbContext db, CancellationToken ct)
    {
        var known = db.Database.GetMigrations().ToList();
        var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).ToList();
        var foreign = applied.Except(known, StringComparer.Ordinal).ToList();
        if (foreign.Count == 0) return false;
        if (!foreign.Intersect(LastBeforeSquash, StringComparer.Ordinal).Any() || applied.Intersect(known, StringComparer.Ordinal).Any())
            throw new InvalidOperationException(
                $"The database's schema history ends at '{applied.Order(StringComparer.Ordinal).Last()}', which this build does not know. " +
                "Builds from 2026-12-07 start from one squashed migration and take over only databases an earlier build migrated to its last " +
                $"migration ({string.Join(" / ", LastBeforeSquash)}): run that earlier build's 'migrate' first, or start from an empty database.");

        var history = db.GetService<IHistoryRepository>();
        var initial = known[0];
        var script = string.Concat(foreign.Select(history.GetDeleteScript))
                     + history.GetInsertScript(new HistoryRow(initial, ProductInfo.GetVersion()));
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlRawAsync(script, ct);
        await tx.CommitAsync(ct);
        return true;
    }
}
