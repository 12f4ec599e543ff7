using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Domain.Inventory;
using IaasApi.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace IaasApi.Api.Tests;

/// <summary>
/// The migrations were squashed into one Initial per provider: a database an earlier build migrated to its last migration
/// is taken over (its history rewritten, its data kept), one that stopped short is refused, on both providers.
/// </summary>
public sealed class SchemaHistoryTests
{
    private static readonly string[] PostgresBefore =
    [
        "20261125012339_Initial", "20261125021625_OperationClientToken", "20261125023443_PlacementEngine", "20261206124939_MigrationRemaining",
        "20261206202950_InstanceLastHost",
    ];

    private static readonly string[] SqliteBefore = ["20261125012348_Initial", "20261206125009_MigrationRemaining", "20261206203047_InstanceLastHost"];

    [Fact]
    public async Task Postgres_DatabaseAtTheLastPreSquashMigration_IsTakenOver_WithItsData()
    {
        await using var pg = await TestPostgres.StartAsync();
        await using var db = FleetChecks.Db(pg.ConnectionString);
        await AssertTakenOverAsync(db, PostgresBefore);
    }

    [Fact]
    public async Task Sqlite_DatabaseAtTheLastPreSquashMigration_IsTakenOver_WithItsData()
    {
        await using var db = Sqlite(out var path);
        try
        {
            await AssertTakenOverAsync(db, SqliteBefore);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task DatabaseThatStoppedShortOfTheSquash_IsRefused_AndLeftAsItWas()
    {
        await using var db = Sqlite(out var path);
        try
        {
            await db.Database.MigrateAsync();
            await RewriteHistoryAsync(db, SqliteBefore[..^1]);                       // an older build's database, not at its last migration
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SquashedHistory.AdoptAsync(db, CancellationToken.None));
            Assert.Contains("20261206203047_InstanceLastHost", error.Message);
            Assert.Equal(SqliteBefore[..^1], await db.Database.GetAppliedMigrationsAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task CurrentDatabase_IsLeftAlone()
    {
        await using var db = Sqlite(out var path);
        try
        {
            await db.Database.MigrateAsync();
            Assert.False(await SquashedHistory.AdoptAsync(db, CancellationToken.None));
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The schema Initial makes is the one the old chain made: a pre-squash database is that schema with the old ids.</summary>
    private static async Task AssertTakenOverAsync(IaasDbContext db, string[] before)
    {
        await db.Database.MigrateAsync();
        db.Regions.Add(new Region("kept", DateTimeOffset.UtcNow));
        await db.SaveChangesAsync();
        await RewriteHistoryAsync(db, before);

        Assert.True(await SquashedHistory.AdoptAsync(db, CancellationToken.None));
        await db.Database.MigrateAsync();                                              // nothing left to apply: Initial is recorded

        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.Equal("kept", (await db.Regions.AsNoTracking().SingleAsync()).Name);
        Assert.False(await SquashedHistory.AdoptAsync(db, CancellationToken.None));
    }

    private static async Task RewriteHistoryAsync(IaasDbContext db, IEnumerable<string> ids)
    {
        var history = db.GetService<IHistoryRepository>();
        var script = string.Concat((await db.Database.GetAppliedMigrationsAsync()).Select(history.GetDeleteScript))
                     + string.Concat(ids.Select(id => history.GetInsertScript(new HistoryRow(id, "10.0.15"))));
        await db.Database.ExecuteSqlRawAsync(script);
    }

    private static SqliteDbContext Sqlite(out string path)
    {
        path = Path.Combine(Path.GetTempPath(), $"iaas-history-{Guid.NewGuid():N}.db");
        return new SqliteDbContext(new DbContextOptionsBuilder<SqliteDbContext>().UseEmbeddedSqlite($"Data Source={path};Pooling=False").Options,
                                   TimeProvider.System);
    }
}
