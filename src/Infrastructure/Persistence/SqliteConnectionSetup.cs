using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IaasApi.Infrastructure.Persistence;

/// <summary>
/// Per-connection SQLite settings. <c>busy_timeout</c> lets SQLite itself wait for the write lock in fine steps
/// (1 ms, 2 ms, 5 ms...); without it Microsoft.Data.Sqlite retries SQLITE_BUSY after a fixed 150 ms sleep, which
/// measured as +150 ms on most provisioning jobs (a job's first write meets the request's audit insert).
/// </summary>
internal sealed class SqliteConnectionSetup : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken ct = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(ct);
    }
}
