using IaasApi.Domain.Common;
using Microsoft.AspNetCore.Http.HttpResults;
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
        400 => (ProblemTypes.Validation, "The request is invalid."),
        401 => (ProblemTypes.Unauthorized, "A valid API key is required."),
        403 => (ProblemTypes.Forbidden, "This API key may not do that."),
        404 => (ProblemTypes.NotFound, "The resource was not found."),
        405 => (ProblemTypes.MethodNotAllowed, "The method is not allowed on this resource."),
        406 => (ProblemTypes.NotAcceptable, "The requested representation is not available."),
        409 => (ProblemTypes.Conflict, "The request conflicts with the current state."),
        412 => (ProblemTypes.PreconditionFailed, "The resource has changed (If-Match did not match)."),
        413 => (ProblemTypes.PayloadTooLarge, "The request body is larger than 1 MiB."),
        415 => (ProblemTypes.UnsupportedMediaType, "The body must be JSON (application/json)."),
        422 => (ProblemTypes.Validation, "The request could not be processed."),
        429 => (ProblemTypes.RateLimited, "Too many requests."),
        503 => (ProblemTypes.Unavailable, "The service is temporarily unavailable."),
        >= 500 => (ProblemTypes.Internal, "An internal error occurred."),
        _ => ("error", "The request failed."),
    };

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
        p.Extensions["traceId"] = ctx.HttpContext.TraceIdentifier;
    }
}
