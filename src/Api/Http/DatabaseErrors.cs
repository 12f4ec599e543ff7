using Npgsql;

namespace IaasApi.Api.Http;

/// <summary>
/// Whether an exception means the database cannot be reached right now (stopped, restarting, refusing connections,
/// the pool exhausted, a connection broken or timed out), wherever it surfaced: Npgsql's own exception, EF's wrapping
/// of it (an <see cref="InvalidOperationException"/> from the execution strategy, a <c>DbUpdateException</c>), or a
/// Hangfire client's. Those requests answer <c>503 unavailable</c> with <c>Retry-After</c>.
/// </summary>
public static class DatabaseErrors
{
    /// <summary>What a refused request is told to wait: about as long as /readyz asks a load balancer to.</summary>
    public const int RetryAfterSeconds = 5;

    public static bool IsUnavailable(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    return pg.SqlState.StartsWith("08", StringComparison.Ordinal)          // connection exception
                           || pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                               or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections;
                case NpgsqlException { IsTransient: true }:
                    return true;   // socket errors, timeouts while connecting or reading, the pool exhausted
            }
        }
        return false;
    }
}
