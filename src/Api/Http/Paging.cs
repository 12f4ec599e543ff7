using System.Buffers.Text;
using IaasApi.Domain.Common;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Api.Http;

/// <summary>A page of a list. <see cref="NextPageToken"/> is null on the last page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextPageToken);

/// <summary>
/// Cursor pagination by id (UUID v7 = creation order, ordered the same way by PostgreSQL, SQLite and .NET).
/// The token is the last id seen, base64url-encoded: opaque to clients, stable under inserts. Oldest first; lists that
/// take <c>?order=desc</c> page newest first (the same token, read the other way).
/// </summary>
public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public static async Task<Page<TOut>> PageAsync<T, TOut>(IQueryable<T> query, int? limit, string? pageToken,
                                                            Func<T, TOut> project, CancellationToken ct, string? order = null)
        where T : class, IHasId
    {
        var take = limit ?? DefaultLimit;
        if (take is < 1 or > MaxLimit)
            throw new FieldValidationException("limit", $"limit must be between 1 and {MaxLimit}.");
        if (order is not (null or "asc" or "desc"))
            throw new FieldValidationException("order", "order must be 'asc' (oldest first) or 'desc' (newest first).");
        var newestFirst = order == "desc";
        if (pageToken is not null)
        {
            var after = Decode(pageToken);
            query = newestFirst ? query.Where(e => e.Id.CompareTo(after) < 0) : query.Where(e => e.Id.CompareTo(after) > 0);
        }
        var rows = await (newestFirst ? query.OrderByDescending(e => e.Id) : query.OrderBy(e => e.Id)).Take(take + 1).ToListAsync(ct);
        var more = rows.Count > take;
        if (more) rows.RemoveAt(take);
        return new Page<TOut>(rows.Select(project).ToList(), more ? Encode(rows[^1].Id) : null);
    }

    public static string Encode(Guid id) => Base64Url.EncodeToString(id.ToByteArray(bigEndian: true));

    private static Guid Decode(string token)
    {
        Span<byte> bytes = stackalloc byte[18];
        if (token.Length is > 0 and <= 24 && Base64Url.IsValid(token) && Base64Url.TryDecodeFromChars(token, bytes, out var n) && n == 16)
            return new Guid(bytes[..16], bigEndian: true);
        throw new FieldValidationException("pageToken", "pageToken is not a token this API issued.");
    }
}
