using System.Security.Cryptography;
using IaasApi.Domain.Common;
using IaasApi.Infrastructure.Idempotency;
using IaasApi.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Api.Http;

/// <summary>Marks endpoints whose successful response must never be replayed (it holds a secret shown once).</summary>
public sealed class NoIdempotentReplayAttribute : Attribute;

/// <summary>
/// <c>Idempotency-Key</c> on POST (API.md): the first request with a key claims it (a row, in flight); a repeat with the
/// same body replays the stored status and body; a different body is <c>422 idempotency-key-reused</c>; a repeat while
/// the first is still running is <c>409 idempotency-key-in-flight</c>. Only 2xx responses are stored — a refused
/// request (409 no-valid-host, 400) can be retried with the same key. Keys are per caller and kept 24 hours.
/// </summary>
internal sealed class IdempotencyMiddleware(RequestDelegate next, ILogger<IdempotencyMiddleware> log)
{
    public const string Header = "Idempotency-Key";
    private static readonly TimeSpan Window = TimeSpan.FromHours(24);
    // A claim whose request died with its process (no completion, no release) stops blocking retries after this.
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
        if (key.Length is 0 or > Limits.ShortTextMaxLength)
            throw new FieldValidationException(Header, $"{Header} must be 1 to {Limits.ShortTextMaxLength} characters.");

        var hash = await HashRequestAsync(http);
        var scope = caller.IdempotencyScope;
        var now = db.Clock.GetUtcNow();
        var noReplay = http.GetEndpoint()?.Metadata.GetMetadata<NoIdempotentReplayAttribute>() is not null;

        if (!await TryClaimAsync(db, scope, key, hash, now, noReplay))
        {
            var existing = await db.IdempotencyRecords.AsNoTracking().SingleOrDefaultAsync(r => r.Scope == scope && r.Key == key);
            if (existing is null || now - existing.CreatedAt > Window
                || (!existing.Completed && now - existing.CreatedAt > AbandonedAfter))
            {
                await ReleaseAsync(db, scope, key);
                if (!await TryClaimAsync(db, scope, key, hash, now, noReplay))
                    throw new IdempotencyInFlightException();
            }
            else
            {
                await RespondToRepeatAsync(http, existing, hash);
                return;
            }
        }

        var original = http.Response.Body;
        await using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        var completed = false;
        try
        {
            await next(http);
            if (http.Response.StatusCode is >= 200 and < 300)
            {
                await db.IdempotencyRecords.Where(r => r.Scope == scope && r.Key == key).ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.Completed, true)
                    .SetProperty(r => r.StatusCode, http.Response.StatusCode)
                    .SetProperty(r => r.ContentType, http.Response.ContentType)
                    .SetProperty(r => r.Location, http.Response.Headers.Location.ToString())
                    .SetProperty(r => r.Body, noReplay ? null : buffer.ToArray()));
                completed = true;
            }
        }
        finally
        {
            if (!completed) await ReleaseAsync(db, scope, key);
            buffer.Position = 0;
            http.Response.Body = original;
            if (buffer.Length > 0) await buffer.CopyToAsync(original);
        }
    }

    private static async Task RespondToRepeatAsync(HttpContext http, IdempotencyRecord existing, string hash)
    {
        if (!string.Equals(existing.RequestHash, hash, StringComparison.Ordinal))
            throw new IdempotencyReusedException();
        if (!existing.Completed) throw new IdempotencyInFlightException();
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

    private async Task<bool> TryClaimAsync(IaasDbContext db, string scope, string key, string hash, DateTimeOffset now, bool noReplay)
    {
        db.IdempotencyRecords.Add(new IdempotencyRecord { Scope = scope, Key = key, RequestHash = hash, CreatedAt = now, NoReplay = noReplay });
        try
        {
            await db.SaveChangesAsync();
            return true;
        }
        catch (DbUpdateException ex)
        {
            log.LogDebug(ex, "Idempotency key {Key} already claimed in {Scope}", key, scope);
            return false;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    private static Task ReleaseAsync(IaasDbContext db, string scope, string key) =>
        db.IdempotencyRecords.Where(r => r.Scope == scope && r.Key == key).ExecuteDeleteAsync();

    /// <summary>Method, path, query and body: the same key with any of these different is a different request.</summary>
    private static async Task<string> HashRequestAsync(HttpContext http)
    {
        http.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: BodySizeLimitMiddleware.MaxBytes);
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted);
        http.Request.Body.Position = 0;
        return Hash(http.Request.Method, $"{http.Request.Path}{http.Request.QueryString}", body.ToArray());
    }

    internal static string Hash(string method, string pathAndQuery, ReadOnlySpan<byte> body)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{method} {pathAndQuery}\n"));
        sha.AppendData(body);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

internal sealed class IdempotencyReusedException() : DomainException(
    "This Idempotency-Key was already used with a different request body; use a new key for a new request.");

internal sealed class IdempotencyInFlightException() : DomainException(
    "A request with this Idempotency-Key is still being processed; retry shortly.");
