using Microsoft.Extensions.FileProviders;

namespace IaasApi.Api.Features.Dashboard;

/// <summary>
/// The admin dashboard at <c>/dashboard/</c>: static files (a TypeScript app built from src/Api/Dashboard) that call the
/// public REST API with the key the user signs in with. No server-side data: it sees exactly what its key may see.
/// Found beside the Api's dll (or in the project's wwwroot when run from source).
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>Scripts and data only from this origin; inline styles for the charts' tooltips; never framed.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static void UseDashboard(this WebApplication app)
    {
        var root = new[] { Path.Combine(AppContext.BaseDirectory, "wwwroot", "dashboard"), Path.Combine(app.Environment.ContentRootPath, "wwwroot", "dashboard") }
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "index.html")));
        if (root is null)
        {
            app.MapGet("/dashboard/{**path}", () => TypedResults.Problem(
                    "The dashboard was not built with this Api (its build needs Node.js and npm; see the README).",
                    statusCode: StatusCodes.Status503ServiceUnavailable, type: Domain.Common.ProblemTypes.Uri(HttpProblemTypes.Unavailable),
                    title: "The dashboard is not available."))
               .ExcludeFromDescription().DisableRateLimiting();
            return;
        }
        var files = new PhysicalFileProvider(root);
        app.Use(async (http, next) =>
        {
            if (http.Request.Path.StartsWithSegments("/dashboard"))
            {
                http.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                http.Response.Headers.XContentTypeOptions = "nosniff";
                http.Response.Headers["Referrer-Policy"] = "no-referrer";
                if (http.Request.Path.Equals("/dashboard")) { http.Response.Redirect("/dashboard/"); return; }
            }
            await next(http);
        });
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = "/dashboard" });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = "/dashboard",
            // Hashed asset names never change; index.html always revalidates (a new build is seen at once).
            OnPrepareResponse = f => f.Context.Response.Headers.CacheControl =
                f.File.Name == "index.html" ? "no-cache" : "public, max-age=31536000, immutable",
        });
    }
}
