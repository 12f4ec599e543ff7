using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace IaasApi.Infrastructure.Telemetry;

public static class TelemetrySetup
{
    /// <summary>
    /// Metrics (the IaasApi meters, the runtime's, outgoing HTTP) and traces (the IaasApi source: operation jobs;
    /// outgoing HTTP; Npgsql's commands), exported by OTLP when an endpoint is configured. The api adds ASP.NET Core's
    /// instrumentation and the Prometheus endpoint to the same builder.
    /// </summary>
    public static OpenTelemetryBuilder AddIaasTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        var options = configuration.GetSection($"{IaasOptions.Section}:Telemetry").Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otlp = options.OtlpEndpoint ?? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        services.AddHostedService<FleetGauges>();
        return services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()))
            .WithMetrics(m =>
            {
                m.AddMeter(IaasTelemetry.Name).AddRuntimeInstrumentation().AddHttpClientInstrumentation();
                if (!string.IsNullOrEmpty(otlp)) m.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
            })
            .WithTracing(t =>
            {
                t.AddSource(IaasTelemetry.Name).AddHttpClientInstrumentation().AddNpgsql();
                if (!string.IsNullOrEmpty(otlp)) t.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
            });
    }
}
