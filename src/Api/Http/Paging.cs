using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace IaasApi.Api.Http;

/// <summary>A page of a list. <see cref="NextPageToken"/> is null on the last page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextPageToken);

/// <summary>
/// Cursor pagination by id (UUID v7 = creation order, ordered the same way by PostgreSQL, SQLite and .NET).
/// The token is the last id seen plus a short hash of the query it belongs to (the path, the filters and the order;
/// not the limit), base64url-encoded: opaque to clients, stable under inserts, and refused (400) on another collection
/// or with other filters, where its position would mean nothing. Oldest first; lists that take <c>?order=desc</c> page
/// newest first (the same token, read the other way).
/// </summary>
public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
    private const int IdBytes = 16, QueryHashBytes = 6;

    public static async Task<Page<TOut>> PageAsync<T, TOut>(HttpContext http, IQueryable<T> query, int? limit, string? pageToken,
                                                            Func<T, TOut> project, CancellationToken ct, string? order = null)
        where T : class, IHasId
    {
        var take = limit ?? DefaultLimit;
        if (take is < 1 or > MaxLimit)
            throw new FieldValidationException("limit", $"limit must be between 1 and {MaxLimit}.");
        if (order is not (null or "asc" or "desc"))
            throw new FieldValidationException("order", "order must be 'asc' (oldest first) or 'desc' (newest first).");
        var newestFirst = order == "desc";
        var belongsTo = QueryHash(http.Request);
        if (pageToken is not null)
        {
            var after = Decode(pageToken, belongsTo);
            query = newestFirst ? query.Where(e => e.Id.CompareTo(after) < 0) : query.Where(e => e.Id.CompareTo(after) > 0);
        }
        var rows = await (newestFirst ? query.OrderByDescending(e => e.Id) : query.OrderBy(e => e.Id)).Take(take + 1).ToListAsync(ct);
        var more = rows.Count > take;
        if (more) rows.RemoveAt(take);
        return new Page<TOut>(rows.Select(project).ToList(), more ? Encode(rows[^1].Id, belongsTo) : null);
    }

    private static string Encode(Guid id, byte[] query)
    {
        Span<byte> bytes = stackalloc byte[IdBytes + QueryHashBytes];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        query.CopyTo(bytes[IdBytes..]);
        return Base64Url.EncodeToString(bytes);
    }

    private static Guid Decode(string token, byte[] query)
    {
        Span<byte> bytes = stackalloc byte[IdBytes + QueryHashBytes + 2];
        if (token.Length is 0 or > 32 || !Base64Url.IsValid(token) || !Base64Url.TryDecodeFromChars(token, bytes, out var n) || n != IdBytes + QueryHashBytes)
            throw new FieldValidationException("pageToken", "pageToken is not a token this API issued.");
        if (!bytes[IdBytes..n].SequenceEqual(query))
            throw new FieldValidationException("pageToken",
                "pageToken does not belong to this query: it was issued for another collection, other filters or another order. Start again without it.");
        return new Guid(bytes[..IdBytes], bigEndian: true);
    }

    /// <summary>
    /// What a page's position means: the path (the collection, with its parent's id) and the query's filters and order,
    /// normalised — parameter names in any case and order, empty ones dropped, <c>order=asc</c> the same as none.
    /// </summary>
    private static byte[] QueryHash(HttpRequest request)
    {
        var filters = request.Query
            .Where(q => !IsPagingParameter(q.Key) && !string.IsNullOrEmpty(q.Value.ToString())
                        && !(q.Key.Equals("order", StringComparison.OrdinalIgnoreCase) && q.Value == "asc"))
            .Select(q => $"{q.Key.ToLowerInvariant()}={q.Value}")
            .Order(StringComparer.Ordinal);
        var text = $"{request.Path.Value?.TrimEnd('/').ToLowerInvariant()}?{string.Join('&', filters)}";
        return SHA256.HashData(Encoding.UTF8.GetBytes(text))[..QueryHashBytes];
    }

    private static bool IsPagingParameter(string name) =>
        name.Equals("limit", StringComparison.OrdinalIgnoreCase) || name.Equals("pageToken", StringComparison.OrdinalIgnoreCase);
}
