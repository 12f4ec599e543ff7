using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Npgsql;

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
        return new DatabaseMode(string.IsNullOrWhiteSpace(pg) ? null : WithConnectTimeout(pg), $"Data Source={path};Default Timeout=30;Pooling=True", path);
    }

    /// <summary>Seconds a request waits to get a connection (to open one, or for a free one in the pool) unless the connection string says.</summary>
    public const int ConnectTimeoutSeconds = 5;

    // Npgsql's default is 15 s: while PostgreSQL is unreachable a request would hang past a client's timeout instead of
    // failing fast with 503 unavailable.
    private static string WithConnectTimeout(string connectionString) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString }.ContainsKey("Timeout")
            ? connectionString
            : new NpgsqlConnectionStringBuilder(connectionString) { Timeout = ConnectTimeoutSeconds }.ConnectionString;
}
