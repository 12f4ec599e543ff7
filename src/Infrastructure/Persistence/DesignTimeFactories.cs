using Microsoft.EntityFrameworkCore.Design;

namespace IaasApi.Infrastructure.Persistence;

// `dotnet ef` uses these instead of booting Program, so each provider gets its own migrations.
// dotnet ef migrations add <Name> -p src/Infrastructure -s src/Infrastructure -c PostgresDbContext -o Persistence/Migrations/Postgres
// dotnet ef migrations add <Name> -p src/Infrastructure -s src/Infrastructure -c SqliteDbContext -o Persistence/Migrations/Sqlite

internal sealed class PostgresDesignFactory : IDesignTimeDbContextFactory<PostgresDbContext>
{
    public PostgresDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresDbContext>().UsePostgres("Host=localhost;Database=iaas").Options, TimeProvider.System);
}

internal sealed class SqliteDesignFactory : IDesignTimeDbContextFactory<SqliteDbContext>
{
    public SqliteDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteDbContext>().UseEmbeddedSqlite("Data Source=design.db").Options, TimeProvider.System);
}

public static class DbContextOptionsExtensions
{
    public static DbContextOptionsBuilder<PostgresDbContext> UsePostgres(this DbContextOptionsBuilder<PostgresDbContext> b, string connectionString)
    {
        b.UseNpgsql(connectionString, o => o.MigrationsHistoryTable("__ef_migrations_history", IaasDbContext.Schema))
         .UseSnakeCaseNamingConvention();
        return b;
    }

    public static DbContextOptionsBuilder<SqliteDbContext> UseEmbeddedSqlite(this DbContextOptionsBuilder<SqliteDbContext> b, string connectionString)
    {
        b.UseSqlite(connectionString, o => o.MigrationsHistoryTable("__ef_migrations_history"))
         .UseSnakeCaseNamingConvention()
         .AddInterceptors(new SqliteConnectionSetup());
        return b;
    }
}
