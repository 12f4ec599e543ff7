using System.Diagnostics;
using System.Diagnostics.Metrics;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;

namespace IaasApi.Infrastructure.Telemetry;

/// <summary>
/// The control plane's own meters and trace source (the <c>IaasApi</c> meter, exported on /metrics and by OTLP):
/// placements and refusals by the filter that emptied the list, claim conflicts, operation durations by kind and
/// outcome, migration downtime and total time by type. The fleet's gauges (queue depth, hosts by state) are
/// <see cref="FleetGauges"/>. Instruments are process-wide, as .NET meters are.
/// </summary>
public static class IaasTelemetry
{
    public const string Name = "IaasApi";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name, "1.0");

    private static readonly Counter<long> Placements = Meter.CreateCounter<long>("iaas.placements", "{instance}",
        "Instances placed and claimed (outcome=placed) and requests refused no-valid-host (outcome=refused, filter=the one that eliminated the last candidates).");
    private static readonly Counter<long> ClaimConflicts = Meter.CreateCounter<long>("iaas.placement.claim_conflicts", "{claim}",
        "Conditional capacity claims that lost to a concurrent claim (each cost one alternate host).");
    private static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>("iaas.operation.duration", "s",
        "From an operation's creation to its end, by kind and status.");
    private static readonly Histogram<double> MigrationDowntime = Meter.CreateHistogram<double>("iaas.migration.downtime", "ms",
        "A completed migration's downtime (the guest paused or stopped), by type.");
    private static readonly Histogram<double> MigrationDuration = Meter.CreateHistogram<double>("iaas.migration.duration", "s",
        "A migration's total time from its start to its end, by type and status.");

    public static void Placed(int instances) => Placements.Add(instances, new KeyValuePair<string, object?>("outcome", "placed"));

    public static void Refused(string? filter) =>
        Placements.Add(1, new KeyValuePair<string, object?>("outcome", "refused"), new KeyValuePair<string, object?>("filter", filter ?? "none"));

    public static void ClaimConflict() => ClaimConflicts.Add(1);

    /// <summary>Operations and migrations that reached their end in a save that succeeded.</summary>
    public static void Ended(IEnumerable<Operation> operations, IEnumerable<Migration> migrations)
    {
        foreach (var o in operations)
            if (o.CompletedAt is { } end)
                OperationDuration.Record(Math.Max(0, (end - o.CreatedAt).TotalSeconds),
                    new KeyValuePair<string, object?>("kind", o.Kind), new KeyValuePair<string, object?>("status", Domain.Common.EnumWords.ToWord(o.Status)));
        foreach (var m in migrations)
        {
            var type = new KeyValuePair<string, object?>("type", Domain.Common.EnumWords.ToWord(m.Type));
            if (m.Status == MigrationStatus.Completed && m.DowntimeMs is { } downtime) MigrationDowntime.Record(downtime, type);
            if (m.StartedAt is { } start && m.EndedAt is { } ended)
                MigrationDuration.Record(Math.Max(0, (ended - start).TotalSeconds), type, new KeyValuePair<string, object?>("status", Domain.Common.EnumWords.ToWord(m.Status)));
        }
    }
}
