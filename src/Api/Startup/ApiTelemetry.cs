using System.Diagnostics;
using IaasApi.Infrastructure;
using IaasApi.Infrastructure.Telemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace IaasApi.Api.Startup;

/// <summary>
/// The api's observability: Infrastructure's meters and traces plus ASP.NET Core's (requests, their durations and
/// routes; an incoming <c>traceparent</c> continues its trace), the Prometheus scrape endpoint at <c>/metrics</c>
/// (admin key by default), and an access log.
/// </summary>
public static class ApiTelemetry
{
    public static IServiceCollection AddIaasApiTelemetry(this IServiceCollection services, IConfiguration configuration, TelemetryOptions options)
    {
        services.AddIaasTelemetry(configuration, "iaas-api")
            .WithMetrics(m =>
            {
                m.AddAspNetCoreInstrumentation();
                if (options.Prometheus) m.AddPrometheusExporter();
            })
            .WithTracing(t => t.AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics")));
        return services;
    }

    public static void MapIaasMetrics(this WebApplication app, TelemetryOptions options)
    {
        if (!options.Prometheus) return;
        var endpoint = app.MapPrometheusScrapingEndpoint("/metrics").DisableRateLimiting();
        if (options.MetricsRequireAdmin) endpoint.RequireAuthorization(AuthorizationPolicies.Admin);
    }

    /// <summary>One line per request, after it ends: method, path, status, milliseconds, the API key's id and the trace id.</summary>
    public static IApplicationBuilder UseAccessLog(this IApplicationBuilder app, TelemetryOptions options)
    {
        if (!options.AccessLog) return app;
        var log = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("IaasApi.Access");
        return app.Use(async (http, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(http);
            }
            finally
            {
                if (log.IsEnabled(LogLevel.Information))
                    log.LogInformation("{Method} {Path} {Status} {ElapsedMs:0.0} ms key={KeyId} trace={TraceId}", http.Request.Method, http.Request.Path.Value,
                        http.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds, Caller.From(http.User)?.KeyId.ToString() ?? "-",
                        Problems.TraceId(http));
            }
        });
    }
}
