using IaasApi.Domain.Audit;

namespace IaasApi.Api.Http;

/// <summary>
/// Records every mutating request under <c>/v1</c> (any key, and anonymous attempts; not those the rate limiter
/// refused): time, key, role, tenant, method, route template, resource id and status code. It sits outside the
/// exception handler so it sees the final status; <see cref="Capture"/>, inside routing, notes the route before the
/// exception handler clears it.
/// </summary>
internal sealed class AuditMiddleware(RequestDelegate next, IServiceScopeFactory scopes, ILogger<AuditMiddleware> log)
{
    private const string ItemKey = "iaas.audit.route";

    public async Task InvokeAsync(HttpContext http)
    {
        if (!IsMutating(http.Request.Method) || !http.Request.Path.StartsWithSegments("/v1"))
        {
            await next(http);
            return;
        }
        try
        {
            await next(http);
        }
        finally
        {
            // A request the rate limiter refused is not recorded: a flood must not turn into a database write per request
            // (RateLimitLog reports refusals per key instead).
            if (!http.Items.ContainsKey(RateLimits.RejectedItem)) await RecordAsync(http);
        }
    }

    /// <summary>Inner half: remembers the matched route template and the route's resource id.</summary>
    public static async Task Capture(HttpContext http, Func<Task> inner)
    {
        if (http.GetEndpoint() is RouteEndpoint route)
        {
            var id = http.Request.RouteValues.TryGetValue("id", out var v) && Guid.TryParse(v?.ToString(), out var g) ? g : (Guid?)null;
            http.Items[ItemKey] = new RouteNote(Template(route.RoutePattern.RawText ?? http.Request.Path.Value ?? ""), id);
        }
        await inner();
    }

    private async Task RecordAsync(HttpContext http)
    {
        try
        {
            var (route, resourceId) = http.Items[ItemKey] is RouteNote note ? (note.Route, note.ResourceId) : (http.Request.Path.Value ?? "", null);
            resourceId ??= IdFromLocation(http.Response.Headers.Location.ToString());
            var caller = Caller.From(http.User);
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<IaasDbContext>();
            db.AuditEvents.Add(new AuditEvent(db.Clock.GetUtcNow(), caller?.KeyId,
                caller is null ? null : Domain.Common.EnumWords.ToWord(caller.Role), caller?.TenantId,
                http.Request.Method, Truncate(route), Truncate(http.Request.Path.Value), resourceId, http.Response.StatusCode,
                http.Request.Headers[IdempotencyMiddleware.Header].FirstOrDefault() is { } k ? Truncate(k) : null));
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception ex) when (DatabaseErrors.IsUnavailable(ex))
        {
            // The request itself was answered 503 (it needed the database too); one line, not a stack per request.
            log.LogWarning("Could not record the audit event for {Method} {Path} ({Status}): the database is unavailable",
                http.Request.Method, http.Request.Path, http.Response.StatusCode);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Could not record the audit event for {Method} {Path}", http.Request.Method, http.Request.Path);
        }
    }

    private sealed record RouteNote(string Route, Guid? ResourceId);

    /// <summary><c>/v1/instances/{id:guid}/actions/{action:regex(...)}</c> → <c>/v1/instances/{id}/actions/{action}</c>.</summary>
    private static string Template(string raw) =>
        RouteConstraint.Replace(raw, "{$1}").TrimEnd('/') is { Length: > 0 } t ? t : "/";

    private static readonly System.Text.RegularExpressions.Regex RouteConstraint =
        new(@"\{(\w+)(?::[^}]*)?\}", System.Text.RegularExpressions.RegexOptions.Compiled);

    private static Guid? IdFromLocation(string location) =>
        location.Length > 0 && Guid.TryParse(location[(location.LastIndexOf('/') + 1)..], out var id) ? id : null;

    private static bool IsMutating(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    // Paths and headers are the client's bytes: drop control characters (PostgreSQL text cannot hold NUL) and cap the length.
    private static string Truncate(string? s)
    {
        if (string.IsNullOrEmpty(s)) return "";
        var clean = s.Any(char.IsControl) ? new string(s.Where(c => !char.IsControl(c)).ToArray()) : s;
        return clean.Length > 255 ? clean[..255] : clean;
    }
}
