using Microsoft.Extensions.Configuration;

namespace IaasApi.Infrastructure.Persistence;

/// <summary>Which database this process runs on, decided once from configuration.</summary>
public sealed record DatabaseMode(string? PostgresConnectionString, string SqliteConnectionString, string SqlitePath)
{
    public bool IsEmbedded => PostgresConnectionString is null;

    public static DatabaseMode From(IConfiguration config, IaasOptions options)
    {
        var pg = config.GetConnectionString("Postgres");
        var dataDir = Path.GetFullPath(options.DataDirectory);
        var path = Path.Combine(dataDir, "iaas.db");
        // Default Timeout: Microsoft.Data.Sqlite retries SQLITE_BUSY for this many seconds.
        return new DatabaseMode(string.IsNullOrWhiteSpace(pg) ? null : pg, $"Data Source={path};Default Timeout=30;Pooling=True", path);
    }
}
