using Microsoft.Data.Sqlite;
using Npgsql;

namespace IaasApi.Infrastructure.Persistence;

/// <summary>
/// What a database error means, for both providers, in one place (jobs, the scheduler and the API's exception handler
/// ask here). <see cref="IsUnavailable"/>: the database cannot be reached right now (stopped, restarting, refusing
/// connections, the pool exhausted, a connection broken or timed out), wherever it surfaced: Npgsql's own exception, EF's
/// wrapping of it (an <see cref="InvalidOperationException"/> from the execution strategy, a <c>DbUpdateException</c>), or
/// a Hangfire client's; those requests answer <c>503 unavailable</c> with <c>Retry-After</c>.
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

    /// <summary>A deadlock, a serialisation failure or a busy database: the transaction was aborted and may simply be retried.</summary>
    public static bool IsTransientConflict(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure }
                  or SqliteException { SqliteErrorCode: 5 or 6 })   // SQLITE_BUSY, SQLITE_LOCKED
                return true;
        return false;
    }

    /// <summary>A write lost on a unique index (<paramref name="constraint"/>: only on an index whose name contains it).</summary>
    public static bool IsUniqueViolation(Exception ex, string? constraint = null) => ex is DbUpdateException { InnerException: var inner } && inner switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation
                                && (constraint is null || pg.ConstraintName?.Contains(constraint, StringComparison.Ordinal) == true),
        SqliteException sq => sq.SqliteErrorCode == 19 && sq.SqliteExtendedErrorCode is (2067 or 1555)
                              && (constraint is null || sq.Message.Contains(constraint, StringComparison.Ordinal)),
        _ => false,
    };

    /// <summary>A write that referenced a row that is gone (or deleted one still referenced).</summary>
    public static bool IsForeignKeyViolation(Exception ex) => ex is DbUpdateException { InnerException: var inner } && inner switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.ForeignKeyViolation,
        SqliteException sq => sq.SqliteErrorCode == 19 && sq.SqliteExtendedErrorCode == 787,
        _ => false,
    };
}
