using Microsoft.Net.Http.Headers;

namespace IaasApi.Api.Http;

/// <summary>ETags are the entity's version; <c>If-Match</c> on PATCH/DELETE must match it (or be <c>*</c>).</summary>
public static class ETags
{
    public static string Of(long version) => $"\"{version}\"";

    public static void Set(HttpContext http, long version) => http.Response.Headers.ETag = Of(version);

    /// <summary>Throws <see cref="PreconditionFailedException"/> when If-Match is present and names another version.</summary>
    public static void CheckIfMatch(HttpContext http, long version)
    {
        var header = http.Request.Headers.IfMatch;
        if (header.Count == 0) return;
        if (!EntityTagHeaderValue.TryParseList(header, out var tags))
            throw new PreconditionFailedException("If-Match is not a valid entity-tag list.");
        var current = Of(version);
        if (tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || (!t.IsWeak && t.Tag.Equals(current, StringComparison.Ordinal))))
            return;
        throw new PreconditionFailedException($"If-Match does not match the current version {current}.");
    }
}
