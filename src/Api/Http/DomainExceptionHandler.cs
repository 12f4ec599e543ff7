using System.Globalization;
using System.Text.Json;
using IaasApi.Domain.Placement;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace IaasApi.Api.Http;

/// <summary>
/// The one place exceptions become problems: a closed list of domain and request errors, each with a stable type.
/// Anything unmapped is a 500 <c>internal</c> without details (logged with its trace id).
/// </summary>
internal sealed class DomainExceptionHandler(IProblemDetailsService problems, ILogger<DomainExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception ex, CancellationToken ct)
    {
        if (ex is OperationCanceledException && http.RequestAborted.IsCancellationRequested) return true;   // client went away

        var problem = Map(ex, http);
        if (problem is null)
        {
            log.LogError(ex, "Unhandled error on {Method} {Path} (trace {TraceId})", http.Request.Method, http.Request.Path, Problems.TraceId(http));
            return false;   // → 500 via the default handler, customised by Problems.Customize
        }
        if (http.Response.HasStarted) return true;
        http.Response.StatusCode = problem.Status!.Value;
        if (problem.Status == 401) http.Response.Headers.WWWAuthenticate = "Bearer";
        if (problem.Status == 503)
        {
            var seconds = DatabaseErrors.IsUnavailable(ex) ? DatabaseErrors.RetryAfterSeconds : 1;
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = ex });
    }

    private static ProblemDetails? Map(Exception ex, HttpContext http) => ex switch
    {
        IdempotencyKeyReusedException r => Problems.Create(422, HttpProblemTypes.IdempotencyKeyReused, "The Idempotency-Key was reused.", r.Message),
        IdempotencyKeyInFlightException i => Problems.Create(409, HttpProblemTypes.IdempotencyKeyInFlight, "The Idempotency-Key is in flight.", i.Message),
        FieldValidationException f => Validation(f.Field, f.Message),
        NotFoundException nf => Problems.Create(404, HttpProblemTypes.NotFound, "The resource was not found.", nf.Message),
        InvalidStateException s => Problems.Create(409, ProblemTypes.InvalidState, "The resource's status does not allow this action.", s.Message),
        QuotaExceededException q => With(Problems.Create(409, ProblemTypes.QuotaExceeded, "Tenant quota exceeded.", q.Message),
                                         "exceeded", q.Exceeded),
        NoValidHostException n => NoValidHost(n, Caller.From(http.User)?.IsAdmin == true),
        CapacityUnavailableException c => CapacityUnavailable(c),
        SchemeNotAllowedException s => With(Problems.Create(409, ProblemTypes.SchemeNotAllowed, "The SLA plan does not offer this scheme.", s.Message),
                                            "offered", s.Offered),
        ConflictException c => Problems.Create(409, HttpProblemTypes.Conflict, "The request conflicts with the current state.", c.Message),
        PreconditionFailedException p => Problems.Create(412, HttpProblemTypes.PreconditionFailed, "The resource has changed.", p.Message),
        DbUpdateConcurrencyException => Problems.Create(409, HttpProblemTypes.Conflict, "The resource changed concurrently.",
                                                        "Another request updated this resource at the same time; read it again and retry."),
        DbUpdateException db when DatabaseErrors.IsUniqueViolation(db) => Problems.Create(409, HttpProblemTypes.Conflict, "The name is already taken.",
                                                        "A resource with this name already exists; names are unique per cloud."),
        DbUpdateException db when DatabaseErrors.IsForeignKeyViolation(db) => Problems.Create(409, HttpProblemTypes.Conflict, "The resource is referenced.",
                                                        "The resource is in use or a referenced resource no longer exists."),
        BadHttpRequestException b => BadRequest(b, http),
        ContendedException c => Problems.Create(503, HttpProblemTypes.Unavailable, "The resource is contended.", c.Message),
        // A driver call made while answering (a preview reading the guest): the hypervisor's failure, not ours.
        Domain.Hypervisors.HypervisorException h => Problems.Create(h.IsTransient ? 503 : 502, ProblemTypes.HypervisorError,
                                                        "The hypervisor could not answer.", h.Message),
        _ when DatabaseErrors.IsTransientConflict(ex) => Problems.Create(503, HttpProblemTypes.Unavailable, "The database is busy.",
                                                        "Concurrent requests conflicted; retry this one."),
        // PostgreSQL stopped, restarting or unreachable — also in authentication's key lookup, which runs before any
        // endpoint. Npgsql's pool drops the dead connections and reconnects by itself once it is back.
        _ when DatabaseErrors.IsUnavailable(ex) => Problems.Create(503, HttpProblemTypes.Unavailable, "The database is unavailable.",
                                                        $"The control plane cannot reach its database right now; retry after {DatabaseErrors.RetryAfterSeconds} s."),
        _ => null,
    };

    /// <summary>Per-filter counts for everyone; for admins also which hosts each filter dropped and why (capped per filter).</summary>
    private static ProblemDetails NoValidHost(NoValidHostException n, bool admin)
    {
        var p = Problems.Create(409, ProblemTypes.NoValidHost, "No valid host was found.", n.Message);
        p.Extensions["eliminations"] = n.Trace.Select(s => admin ? Eliminations.Detailed(s) : Eliminations.Counts(s)).ToList();
        return p;
    }

    /// <summary>409 with the earliest window of the same length that would fit (<c>earliestWindow</c>, null if none was found).</summary>
    private static ProblemDetails CapacityUnavailable(CapacityUnavailableException c)
    {
        var p = Problems.Create(409, ProblemTypes.CapacityUnavailable, "The capacity is not available for that window.", c.Message);
        p.Extensions["earliestWindow"] = c.EarliestStart is { } start && c.EarliestEnd is { } end
            ? new Dictionary<string, DateTimeOffset> { ["start"] = start, ["end"] = end }
            : null;
        return p;
    }

    /// <summary>Framework binding errors: malformed JSON and wrong types (400), wrong content type (415), too large (413).</summary>
    private static ProblemDetails BadRequest(BadHttpRequestException b, HttpContext http)
    {
        var json = FindInner<JsonException>(b);
        if (b.StatusCode == 400 && json is not null)
        {
            // Well-formed JSON with a value this field cannot take (name the field, and an enum's words), JSON that is
            // not an object where the body must be one, or not JSON at all.
            var field = json.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : null;
            if (json is EnumWordException word)
                return Validation(field ?? "body", word.Given is { } given
                    ? $"'{Truncate(given, 100)}' is not a valid '{field}'; use one of: {string.Join(", ", word.Allowed)}."
                    : $"'{field}' must be one of: {string.Join(", ", word.Allowed)}.");
            if (json.Message.Contains("could not be converted", StringComparison.Ordinal))
                return field is null ? Validation("body", NotAnObject) : Validation(field, $"The value at '{json.Path}' has the wrong type for this field.");
            return Validation("body", $"The body is not valid JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine}).");
        }
        if (b.StatusCode == 400 && BindFailure.Match(b.Message) is { Success: true } bind)
            return Validation(bind.Groups["name"].Value, $"'{Truncate(bind.Groups["value"].Value, 100)}' is not a valid value for '{bind.Groups["name"].Value}'.");
        // A body of JSON null reads as no body at all; it was sent, so say what it must be.
        if (b.StatusCode == 400 && IsMissingBody(b.Message) && http.Request.ContentLength > 0)
            return Validation("body", NotAnObject);
        if (b.StatusCode == 400)
            return Validation(b.Message.Contains("body", StringComparison.OrdinalIgnoreCase) ? "body" : "request", Sanitise(b.Message));
        var (slug, title) = Problems.ForStatus(b.StatusCode);
        return Problems.Create(b.StatusCode, slug, title, Sanitise(b.Message));
    }

    private const string NotAnObject = "The body must be a JSON object ({ ... }) with the request's fields.";

    private static readonly System.Text.RegularExpressions.Regex BindFailure =
        new("""^Failed to bind parameter "[^ "]+ (?<name>[A-Za-z0-9_]+)" from "(?<value>.*)"\.?$""", System.Text.RegularExpressions.RegexOptions.Compiled);

    // Framework messages name C# parameter types ("CreateInstanceRequest req"); keep the useful part only.
    private static string Sanitise(string message) =>
        message.StartsWith("Failed to read parameter", StringComparison.Ordinal) ? "The request body could not be read as JSON."
        : IsMissingBody(message) ? "A JSON request body is required."
        : message.StartsWith("Failed to bind parameter", StringComparison.Ordinal) ? "A query or route parameter has an invalid value."
        : message;

    private static bool IsMissingBody(string message) =>
        message.StartsWith("Required parameter", StringComparison.Ordinal) || message.StartsWith("Implicit body inferred", StringComparison.Ordinal);

    private static string Truncate(string s, int max) => s.Length > max ? s[..max] + "…" : s;

    private static ValidationProblemDetails Validation(string field, string message)
    {
        var p = new ValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = 400, Type = ProblemTypes.Uri(HttpProblemTypes.Validation), Title = "The request is invalid.", Detail = message,
        };
        return p;
    }

    private static ProblemDetails With(ProblemDetails p, string key, object value)
    {
        p.Extensions[key] = value;
        return p;
    }

    private static T? FindInner<T>(Exception ex) where T : Exception
    {
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
            if (e is T t) return t;
        return null;
    }
}
