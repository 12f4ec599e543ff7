using System.Diagnostics.Metrics;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IaasApi.Infrastructure.Telemetry;

/// <summary>
/// The fleet as gauges, read from the database when the meters are collected (a scrape, an OTLP export): the queue's
/// depth, hosts by state and power, operations running by kind. A meter of this host's (from its meter factory), so a
/// stopped host's gauges stop with it.
/// </summary>
internal sealed class FleetGauges(IServiceScopeFactory scopes, IMeterFactory meters, ILogger<FleetGauges> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var meter = meters.Create(IaasTelemetry.Name);
        meter.CreateObservableGauge("iaas.queue.depth", () => Read(db => db.Instances.Count(i => i.Status == InstanceStatus.Pending)),
            "{instance}", "Instances waiting for capacity (the best-effort queue, and reservations' instances before their start).");
        meter.CreateObservableGauge("iaas.hosts", () => ReadAll(db => db.Hosts.GroupBy(h => new { h.State, h.Power })
                .Select(g => new { g.Key.State, g.Key.Power, Count = g.Count() }).ToList()
                .Select(g => new Measurement<long>(g.Count, new KeyValuePair<string, object?>("state", EnumWords.ToWord(g.State)),
                                                   new KeyValuePair<string, object?>("power", EnumWords.ToWord(g.Power))))),
            "{host}", "Hosts by state (enabled, disabled, maintenance, down) and power.");
        meter.CreateObservableGauge("iaas.operations.running", () => ReadAll(db => db.Operations.Where(o => o.Status == OperationStatus.Running)
                .GroupBy(o => o.Kind).Select(g => new { Kind = g.Key, Count = g.Count() }).ToList()
                .Select(g => new Measurement<long>(g.Count, new KeyValuePair<string, object?>("kind", g.Kind)))),
            "{operation}", "Operations under way, by kind.");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private IEnumerable<Measurement<long>> Read(Func<IaasDbContext, int> count) =>
        ReadAll(db => [new Measurement<long>(count(db))]);

    /// <summary>A collection never fails for the database: an unreachable one leaves the gauges out of this collection.</summary>
    private IEnumerable<Measurement<long>> ReadAll(Func<IaasDbContext, IEnumerable<Measurement<long>>> read)
    {
        try
        {
            using var scope = scopes.CreateScope();
            return read(scope.ServiceProvider.GetRequiredService<IaasDbContext>()).ToList();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            log.LogDebug(ex, "Fleet gauges not read");
            return [];
        }
    }
}
