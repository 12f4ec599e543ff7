using Microsoft.AspNetCore.Mvc;

namespace IaasApi.Api.Http;

/// <summary>Builds RFC 9457 problems with the stable <c>https://iaasapi.dev/problems/&lt;slug&gt;</c> types.</summary>
public static class Problems
{
    public static ProblemDetails Create(int status, string slug, string title, string? detail = null) => new()
    {
        Status = status,
        Type = ProblemTypes.Uri(slug),
        Title = title,
        Detail = detail,
    };

    public static ProblemHttpResult Result(int status, string slug, string title, string? detail = null) =>
        TypedResults.Problem(Create(status, slug, title, detail));

    /// <summary>The slug for a status code the framework produced on its own (404 route, 405, 415...).</summary>
    public static (string Slug, string Title) ForStatus(int status) => status switch
    {
        400 => (HttpProblemTypes.Validation, "The request is invalid."),
        401 => (HttpProblemTypes.Unauthorized, "A valid API key is required."),
        403 => (HttpProblemTypes.Forbidden, "This API key may not do that."),
        404 => (HttpProblemTypes.NotFound, "The resource was not found."),
        405 => (HttpProblemTypes.MethodNotAllowed, "The method is not allowed on this resource."),
        406 => (HttpProblemTypes.NotAcceptable, "The requested representation is not available."),
        409 => (HttpProblemTypes.Conflict, "The request conflicts with the current state."),
        412 => (HttpProblemTypes.PreconditionFailed, "The resource has changed (If-Match did not match)."),
        413 => (HttpProblemTypes.PayloadTooLarge, "The request body is larger than 1 MiB."),
        415 => (HttpProblemTypes.UnsupportedMediaType, "The body must be JSON (application/json)."),
        422 => (HttpProblemTypes.Validation, "The request could not be processed."),
        429 => (HttpProblemTypes.RateLimited, "Too many requests."),
        503 => (HttpProblemTypes.Unavailable, "The service is temporarily unavailable."),
        >= 500 => (HttpProblemTypes.Internal, "An internal error occurred."),
        _ => ("error", "The request failed."),
    };

    /// <summary>
    /// The request's trace id as problems, logs and the access log quote it: the W3C one (the caller's own when it sent a
    /// traceparent, so its logs and ours meet), or the server's request id when no trace is running.
    /// </summary>
    public static string TraceId(HttpContext http) => System.Diagnostics.Activity.Current?.TraceId.ToHexString() ?? http.TraceIdentifier;

    /// <summary>Fills in type/title for problems the framework wrote (status code pages, auth, binding) and adds the trace id.</summary>
    public static void Customize(ProblemDetailsContext ctx)
    {
        var p = ctx.ProblemDetails;
        var status = p.Status ?? ctx.HttpContext.Response.StatusCode;
        if (p.Type is null || !p.Type.StartsWith(ProblemTypes.BaseUri, StringComparison.Ordinal))
        {
            var (slug, title) = ForStatus(status);
            p.Type = ProblemTypes.Uri(slug);
            p.Title = title;
        }
        if (status == 500) p.Detail = null;   // never leak internals
        p.Extensions["traceId"] = TraceId(ctx.HttpContext);
    }
}
