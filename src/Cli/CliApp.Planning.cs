using System.CommandLine;
using System.Text.Json.Nodes;
using IaasApi.Client.Models;

namespace IaasApi.Cli;

public sealed partial class CliApp
{
    /// <summary>
    /// The planners (rebalance, consolidation: a plan, or its execution followed with <c>--wait</c>), and the dry runs of
    /// placement and migration: what the control plane would do, without doing it.
    /// </summary>
    private IEnumerable<Command> PlanningCommands()
    {
        var planners = new Command("planners", "Rebalance a zone, or consolidate it onto fewer hosts (admin): the plan, or --execute it.");
        var zone = new Option<string>("--zone") { Description = "Zone id or name.", Required = true };
        var execute = new Option<bool>("--execute") { Description = "Carry the plan out (one operation; its migrations run as children)." };
        var wait = new Option<bool>("--wait") { Description = "With --execute: follow the execution to its end with a progress bar." };
        var imbalance = new Option<double?>("--target-imbalance") { Description = "Rebalance: stop once the hosts' load spread is at most this (0..1)." };
        var maxMoves = new Option<int?>("--max-moves") { Description = "Rebalance: at most this many migrations." };

        planners.Subcommands.Add(Run(new Command("rebalance", "Even the load of a zone's hosts by live migration.") { zone, imbalance, maxMoves, execute, wait },
            async (p, c, ct) =>
            {
                var request = new RebalanceRequest
                {
                    ZoneId = await ResolveAsync(c, "zones", p.GetValue(zone)!, ct),
                    TargetImbalance = p.GetValue(imbalance),
                    MaxMoves = p.GetValue(maxMoves),
                };
                return p.GetValue(execute)
                    ? await ExecutedAsync(c, await c.Client.V1.Planners.Rebalance.Execute.PostAsync(request, cancellationToken: ct), p.GetValue(wait), ct)
                    : await PlannedAsync(c, await c.Client.V1.Planners.Rebalance.PostAsync(request, cancellationToken: ct));
            }));
        planners.Subcommands.Add(Run(new Command("consolidation", "Pack a zone's instances onto fewer hosts, so the freed ones can power off.") { zone, execute, wait },
            async (p, c, ct) =>
            {
                var request = new ConsolidationRequest { ZoneId = await ResolveAsync(c, "zones", p.GetValue(zone)!, ct) };
                return p.GetValue(execute)
                    ? await ExecutedAsync(c, await c.Client.V1.Planners.Consolidation.Execute.PostAsync(request, cancellationToken: ct), p.GetValue(wait), ct)
                    : await PlannedAsync(c, await c.Client.V1.Planners.Consolidation.PostAsync(request, cancellationToken: ct));
            }));
        yield return planners;

        var placement = new Command("placement", "Where an instance would land, and the scheduler's counters (admin).");
        var flavor = new Option<string>("--flavor") { Description = "Flavor id or name.", Required = true };
        var image = new Option<string>("--image") { Description = "Image id or name.", Required = true };
        var plan = new Option<string>("--plan") { Description = "SLA plan id or name.", Required = true };
        var previewZone = new Option<string?>("--zone") { Description = "Zone id or name (default: every zone)." };
        var group = new Option<string?>("--server-group") { Description = "Server group id or name (its affinity policy applies)." };
        var count = new Option<int?>("--count") { Description = "How many instances to place together." };
        placement.Subcommands.Add(Run(new Command("preview", "The filters' eliminations and the weighers' ranking for a request, without placing it.")
            { flavor, image, plan, previewZone, group, count }, async (p, c, ct) =>
            {
                var preview = await c.Client.V1.Placement.Preview.PostAsync(new PreviewRequest
                {
                    FlavorId = await ResolveAsync(c, "flavors", p.GetValue(flavor)!, ct),
                    ImageId = await ResolveAsync(c, "images", p.GetValue(image)!, ct),
                    SlaPlanId = await ResolveAsync(c, "sla-plans", p.GetValue(plan)!, ct),
                    ZoneId = p.GetValue(previewZone) is { } z ? await ResolveAsync(c, "zones", z, ct) : null,
                    ServerGroupId = p.GetValue(group) is { } g ? await ResolveAsync(c, "server-groups", g, ct) : null,
                    Count = p.GetValue(count),
                }, cancellationToken: ct);
                var json = await Output.ToJsonAsync(preview);
                if (c.Output.Format == OutputFormat.Json) await c.Output.ItemAsync(json);
                else
                {
                    foreach (var step in Items(json, "eliminations"))
                        await c.Output.Writer.WriteLineAsync($"{step["filter"]}: {step["before"]} → {step["after"]} hosts");
                    await c.Output.RowsAsync(Items(json, "ranked"), ["rank", "hostName", "hostId", "score"]);
                }
                return ExitCodes.Ok;
            }));
        placement.Subcommands.Add(Run(new Command("stats", "The scheduler's counters: placements, claim conflicts, no-valid-host by filter."),
            async (p, c, ct) =>
            {
                await c.Output.ItemAsync(await c.Client.V1.Placement.Stats.GetAsync(cancellationToken: ct));
                return ExitCodes.Ok;
            }));
        yield return placement;
    }

    /// <summary>A migration's dry run: the recommended type and its predicted downtime and total time.</summary>
    private void AddMigrationPreview(Command migrations)
    {
        var instance = new Argument<string>("instance") { Description = "The instance's id." };
        var target = new Option<string?>("--target") { Description = "Target host id or name (default: the planner's best)." };
        var downtime = new Option<int?>("--max-downtime-ms") { Description = "The downtime budget of the switch-over." };
        var bandwidth = new Option<int?>("--bandwidth-mbps") { Description = "The migration stream's bandwidth cap." };
        migrations.Subcommands.Add(Run(new Command("preview", "What migrating an instance would take, without migrating it (admin).") { instance, target, downtime, bandwidth },
            async (p, c, ct) =>
            {
                await c.Output.ItemAsync(await c.Client.V1.Migrations.Preview.PostAsync(new MigrationPreviewRequest
                {
                    InstanceId = Id(p, instance),
                    TargetHostId = p.GetValue(target) is { } h ? await ResolveAsync(c, "hosts", h, ct) : null,
                    MaxDowntimeMs = p.GetValue(downtime),
                    BandwidthMbps = p.GetValue(bandwidth),
                }, cancellationToken: ct));
                return ExitCodes.Ok;
            }));
    }

    private static async Task<int> PlannedAsync(Context c, Microsoft.Kiota.Abstractions.Serialization.IParsable? plan)
    {
        var json = await Output.ToJsonAsync(plan);
        if (c.Output.Format == OutputFormat.Json) await c.Output.ItemAsync(json);
        else
        {
            foreach (var (name, value) in json!.AsObject().Where(m => m.Value is not JsonArray))
                await c.Output.Writer.WriteLineAsync($"{name}: {value}");
            await c.Output.RowsAsync(Items(json, "moves"), ["instanceId", "fromHostId", "toHostId", "estimatedMs"]);
        }
        return ExitCodes.Ok;
    }

    private static async Task<int> ExecutedAsync(Context c, PlanExecutionResponse? execution, bool wait, CancellationToken ct)
    {
        await c.Output.ItemAsync(execution);
        return wait && execution?.OperationId is { } operation ? await c.Progress.OperationAsync(c.Client, operation, ct) : ExitCodes.Ok;
    }
}
