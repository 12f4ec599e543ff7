using System.Security.Cryptography;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace IaasApi.Api.Http;

/// <summary>Marks endpoints whose successful response must never be replayed (it holds a secret shown once).</summary>
public sealed class NoIdempotentReplayAttribute : Attribute;

/// <summary>
/// <c>Idempotency-Key</c> on POST (API.md). The first request with a key claims it (a row, in flight); a repeat with
/// the same method, path and body (the same JSON, however spelled) gets the stored status, <c>Location</c> and body
/// back; a different body is <c>422 idempotency-key-reused</c>; a repeat while the first still runs is
/// <c>409 idempotency-key-in-flight</c>.
/// Every response below 500 is kept for 24 hours, per caller. A 5xx or an exception releases the key so the request
/// can be retried — and the use cases that must run once (a create) also record the key in their own transaction
/// (<see cref="IdempotencyContext"/>), so a retry after a lost response finds the work instead of repeating it.
/// </summary>
internal sealed class IdempotencyMiddleware(RequestDelegate next, IExceptionHandler problems)
{
    public const string Header = "Idempotency-Key";
    private static readonly TimeSpan Window = Infrastructure.Operations.Retention.IdempotencyWindow;
    // A claim whose request died with its process (never completed, never released) may be taken over after this.
    private static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(2);

    public async Task InvokeAsync(HttpContext http, IaasDbContext db)
    {
        if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.Headers.TryGetValue(Header, out var values)
            || http.GetEndpoint() is null || Caller.From(http.User) is not { } caller)
        {
            await next(http);
            return;
        }
        var key = values.ToString();
        if (key.Length is 0 or > Limits.ShortTextMaxLength || key.Any(char.IsControl))
            throw new FieldValidationException(Header, $"{Header} must be 1 to {Limits.ShortTextMaxLength} printable characters.");

        var context = new IdempotencyContext(caller.IdempotencyScope, key, await HashRequestAsync(http));
        var noReplay = http.GetEndpoint()?.Metadata.GetMetadata<NoIdempotentReplayAttribute>() is not null;
        if (!await TryClaimAsync(db, context, noReplay))
        {
            var existing = await db.IdempotencyRecords.AsNoTracking()
                .SingleOrDefaultAsync(r => r.Scope == context.Scope && r.Key == context.Key);
            if (existing is null || !await TryTakeOverAsync(db, context, noReplay))
            {
                await RespondToRepeatAsync(http, existing, context.RequestHash);
                return;
            }
        }
        http.Items[typeof(IdempotencyContext)] = context;

        var original = http.Response.Body;
        await using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        var kept = false;
        try
        {
            try
            {
                await next(http);
            }
            catch (Exception ex) when (!http.Response.HasStarted)
            {
                // A refusal (409 no-valid-host, 404...) is written here, inside, so it is kept and replayed like any
                // answer; anything the handler does not map goes on to the outer handler as a 500.
                if (!await problems.TryHandleAsync(http, ex, CancellationToken.None)) throw;
            }
            if (http.Response.StatusCode < 500)
            {
                // Not the request's token: once the work is done, the record must be written even if the client left.
                kept = await WhileReachableAsync(() => db.IdempotencyRecords.Where(r => r.Scope == context.Scope && r.Key == context.Key)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(r => r.Completed, true)
                        .SetProperty(r => r.StatusCode, http.Response.StatusCode)
                        .SetProperty(r => r.ContentType, http.Response.ContentType)
                        .SetProperty(r => r.Location, http.Response.Headers.Location.ToString())
                        .SetProperty(r => r.Body, noReplay ? null : buffer.ToArray()), CancellationToken.None));
            }
        }
        finally
        {
            // The database gone meanwhile: the claim stays until it counts as abandoned (a retry's create still finds
            // its work through the key recorded in its own transaction). The answer goes out either way.
            if (!kept)
                await WhileReachableAsync(() => db.IdempotencyRecords.Where(r => r.Scope == context.Scope && r.Key == context.Key)
                    .ExecuteDeleteAsync(CancellationToken.None));
            buffer.Position = 0;
            http.Response.Body = original;
            if (buffer.Length > 0) await buffer.CopyToAsync(original);
        }
    }

    /// <summary>Runs a bookkeeping write; false instead of an exception when the database cannot be reached.</summary>
    private static async Task<bool> WhileReachableAsync(Func<Task<int>> write)
    {
        try
        {
            await write();
            return true;
        }
        catch (Exception ex) when (DatabaseErrors.IsUnavailable(ex))
        {
            return false;
        }
    }

    /// <summary>The IdempotencyContext of this request, if it carried a key.</summary>
    public static IdempotencyContext? Of(HttpContext http) => http.Items[typeof(IdempotencyContext)] as IdempotencyContext;

    private static async Task RespondToRepeatAsync(HttpContext http, IdempotencyRecord? existing, string hash)
    {
        if (existing is null) throw new IdempotencyKeyInFlightException();   // released between our two reads: let the client retry
        if (!string.Equals(existing.RequestHash, hash, StringComparison.Ordinal)) throw new IdempotencyKeyReusedException();
        if (!existing.Completed) throw new IdempotencyKeyInFlightException();
        if (existing.NoReplay)
            throw new ConflictException("This Idempotency-Key already created an API key; its secret is shown only once. List the keys to find it.");

        http.Response.StatusCode = existing.StatusCode;
        if (!string.IsNullOrEmpty(existing.Location)) http.Response.Headers.Location = existing.Location;
        http.Response.Headers["Idempotent-Replayed"] = "true";
        if (existing.Body is { Length: > 0 } body)
        {
            http.Response.ContentType = existing.ContentType ?? "application/json";
            await http.Response.Body.WriteAsync(body);
        }
    }

    /// <summary>
    /// Claims the key with <c>INSERT … ON CONFLICT DO NOTHING</c> (PostgreSQL and SQLite alike; the unique primary key
    /// decides under any concurrency): a concurrent request with the same key losing the race gets 0 rows, an answer,
    /// rather than a failed statement that EF Core would log as an error.
    /// </summary>
    private static async Task<bool> TryClaimAsync(IaasDbContext db, IdempotencyContext c, bool noReplay)
    {
        var record = db.Model.FindEntityType(typeof(IdempotencyRecord))!;
        var table = StoreObjectIdentifier.Table(record.GetTableName()!, record.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        (string Property, object Value)[] values =
        [
            (nameof(IdempotencyRecord.Scope), c.Scope), (nameof(IdempotencyRecord.Key), c.Key),
            (nameof(IdempotencyRecord.RequestHash), c.RequestHash), (nameof(IdempotencyRecord.CreatedAt), db.Clock.GetUtcNow()),
            (nameof(IdempotencyRecord.Completed), false), (nameof(IdempotencyRecord.StatusCode), 0), (nameof(IdempotencyRecord.NoReplay), noReplay),
        ];
        var columns = values.Select(v => record.FindProperty(v.Property)!).ToList();
        var insert = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} "
                     + $"({string.Join(", ", columns.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)))}) "
                     + $"VALUES ({string.Join(", ", columns.Select((_, i) => $"{{{i}}}"))}) ON CONFLICT DO NOTHING";
        // As the model stores them (SQLite keeps times as ticks).
        var parameters = columns.Select((p, i) => p.GetTypeMapping().Converter?.ConvertToProvider(values[i].Value) ?? values[i].Value).ToArray();
        return await db.Database.ExecuteSqlRawAsync(insert, parameters) == 1;
    }

    /// <summary>
    /// Takes over an expired record, or a claim abandoned by a dead request, in one conditional UPDATE, so two
    /// retries can never both win.
    /// </summary>
    private static async Task<bool> TryTakeOverAsync(IaasDbContext db, IdempotencyContext c, bool noReplay)
    {
        var now = db.Clock.GetUtcNow();
        var expired = now - Window;
        var abandoned = now - AbandonedAfter;
        return await db.IdempotencyRecords
            .Where(r => r.Scope == c.Scope && r.Key == c.Key && (r.CreatedAt < expired || (!r.Completed && r.CreatedAt < abandoned)))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.RequestHash, c.RequestHash)
                .SetProperty(r => r.CreatedAt, now)
                .SetProperty(r => r.Completed, false)
                .SetProperty(r => r.StatusCode, 0)
                .SetProperty(r => r.Body, (byte[]?)null)
                .SetProperty(r => r.NoReplay, noReplay)) == 1;
    }

    /// <summary>Method, path, query and body: the same key with any of these different is a different request.</summary>
    private static async Task<string> HashRequestAsync(HttpContext http)
    {
        http.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: RequestLimitsMiddleware.MaxBodyBytes);
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        http.Request.Body.Position = 0;
        return Hash(http.Request.Method, $"{http.Request.Path}{http.Request.QueryString}", body.ToArray());
    }

    /// <summary>
    /// The request's meaning, not its bytes: a JSON body is hashed in its canonical form (<see cref="CanonicalJson"/>),
    /// so the same JSON re-serialised (members in another order, other spacing, 1.50 for 1.5) is the same request.
    /// Anything else is hashed as it is. The create's transaction stores this hash with the key (operations.request_hash).
    /// </summary>
    internal static string Hash(string method, string pathAndQuery, byte[] body)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{method} {pathAndQuery}\n"));
        sha.AppendData(CanonicalJson.TryCanonicalize(body) ?? body);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
