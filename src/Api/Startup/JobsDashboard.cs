using System.Net.Http.Headers;
using System.Text;
using Hangfire;
using Hangfire.Dashboard;
using IaasApi.Domain.Tenancy;
using Microsoft.AspNetCore.Authentication;

namespace IaasApi.Api.Startup;

/// <summary>
/// Hangfire's dashboard at <c>/hangfire</c>, for admins only: the admin API key as <c>Authorization: Bearer</c>, or — a
/// browser's way — as the password of HTTP Basic (any user name), which the browser prompts for. Read-only unless
/// <c>Iaas:JobsDashboardWritable</c> (Development: writable), so nobody deletes or re-queues a job behind the
/// operations that own them.
/// </summary>
public static class JobsDashboard
{
    public const string Path = "/hangfire";

    public static void UseJobsDashboard(this WebApplication app, bool writable)
    {
        app.UseWhen(http => http.Request.Path.StartsWithSegments(Path), branch => branch.Use(async (http, next) =>
        {
            if (await IsAdminAsync(http))
            {
                await next(http);
                return;
            }
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"IaasApi jobs (the admin API key as the password)\", charset=\"UTF-8\"";
        }));
        app.UseHangfireDashboard(Path, new DashboardOptions
        {
            Authorization = [new Admitted()],
            IsReadOnlyFunc = _ => !writable,
            DashboardTitle = "IaasApi jobs",
            AppPath = "/dashboard/",
            DisplayStorageConnectionString = false,
        });
    }

    /// <summary>The request carries an admin key, as Bearer or as Basic's password (turned into Bearer for the one key check).</summary>
    private static async Task<bool> IsAdminAsync(HttpContext http)
    {
        if (AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var header)
            && header.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) && header.Parameter is { } encoded)
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
                http.Request.Headers.Authorization = $"Bearer {pair[(pair.IndexOf(':') + 1)..]}";
            }
            catch (FormatException)
            {
                return false;
            }
        }
        var result = await http.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName);
        if (!result.Succeeded) return false;
        http.User = result.Principal;
        return result.Principal.IsInRole(Domain.Common.EnumWords.ToWord(Role.Admin));
    }

    /// <summary>The gate above has let only admins through.</summary>
    private sealed class Admitted : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => true;
    }
}
