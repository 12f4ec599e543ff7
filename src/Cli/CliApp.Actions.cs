using System.CommandLine;
using System.Text.Json.Nodes;
using IaasApi.Client.Models;

namespace IaasApi.Cli;

public sealed partial class CliApp
{
    private void AddInstanceCommands(Command instances)
    {
        var name = new Option<string>("--name") { Description = "The instance's name (a label).", Required = true };
        var flavor = new Option<string>("--flavor") { Description = "Flavor id or name.", Required = true };
        var image = new Option<string>("--image") { Description = "Image id or name.", Required = true };
        var plan = new Option<string>("--plan") { Description = "SLA plan id or name.", Required = true };
        var zone = new Option<string?>("--zone") { Description = "Zone id or name (default: placement chooses)." };
        var tenant = new Option<string?>("--tenant") { Description = "Tenant id or name: whose instance an admin key creates (a tenant key creates its own)." };
        var count = new Option<int?>("--count") { Description = "How many (all or nothing; a batch answers items and one operation)." };
        var scheme = new Option<string?>("--scheme") { Description = "immediate, best-effort or reservation (default: the first the plan offers)." };
        var userData = new Option<FileInfo?>("--user-data-file") { Description = "cloud-init user data for the guest." };
        var key = new Option<string?>("--idempotency-key") { Description = "Makes a retry safe: the same key replays the first answer." };
        var wait = new Option<bool>("--wait") { Description = "Follow the create to its end with a progress bar (exit 0 running, 3 failed)." };
        var create = new Command("create", "Create an instance (202: building, or pending in the queue).")
            { name, flavor, image, plan, zone, tenant, count, scheme, userData, key, wait };
        instances.Subcommands.Add(Run(create, async (p, c, ct) =>
        {
            var request = new CreateInstanceRequest
            {
                Name = p.GetValue(name),
                FlavorId = await ResolveAsync(c, "flavors", p.GetValue(flavor)!, ct),
                ImageId = await ResolveAsync(c, "images", p.GetValue(image)!, ct),
                SlaPlanId = await ResolveAsync(c, "sla-plans", p.GetValue(plan)!, ct),
                ZoneId = p.GetValue(zone) is { } z ? await ResolveAsync(c, "zones", z, ct) : null,
                TenantId = p.GetValue(tenant) is { } t ? await ResolveAsync(c, "tenants", t, ct) : null,
                Count = p.GetValue(count),
                Scheme = p.GetValue(scheme) is { } s ? EnumWords.Parse<ProvisioningScheme>(s, "--scheme") : null,
                UserData = p.GetValue(userData) is { } file ? await File.ReadAllTextAsync(file.FullName, ct) : null,
            };
            var created = await c.Client.V1.Instances.PostAsync(request, r => r.Headers.AddAll(Headers(p.GetValue(key))), ct);
            var instances = await Task.WhenAll((created?.Instances ?? []).Select(async i => (JsonObject)(await Output.ToJsonAsync(i))!));
            if (instances.Length == 1)
            {
                instances[0]["operationId"] ??= created!.OperationId?.ToString();   // a member the client reads from the answer as a whole
                await c.Output.ItemAsync(instances[0]);
            }
            else await c.Output.RowsAsync(instances, ResourceKinds.All.Single(k => k.Command == "instances").Columns);
            return p.GetValue(wait) && created?.OperationId is { } operation ? await c.Progress.OperationAsync(c.Client, operation, ct) : ExitCodes.Ok;
        }));

        var id = new Argument<string>("id") { Description = "The instance's id." };
        foreach (var (verb, text) in new[]
                 {
                     ("start", "Start a stopped instance."), ("stop", "Stop it (the guest is shut down)."), ("reboot", "Reboot it."),
                     ("shelve", "Save it off its host, releasing the capacity."), ("unshelve", "Bring a shelved instance back on a host."),
                 })
        {
            var actionWait = new Option<bool>("--wait") { Description = "Follow the action to its end with a progress bar." };
            instances.Subcommands.Add(Run(new Command(verb, text) { id, actionWait }, async (p, c, ct) =>
            {
                var written = await Output.ToJsonAsync(await c.Client.V1.Instances[Id(p, id)].Actions[verb].PostAsync(cancellationToken: ct));
                await c.Output.ItemAsync(written);
                return await WaitIfAskedAsync(c, p.GetValue(actionWait), written, ct);
            }));
        }

        var snapshot = new Option<string>("--snapshot") { Description = "The snapshot's id or name.", Required = true };
        var restoreWait = new Option<bool>("--wait") { Description = "Follow the restore to its end with a progress bar." };
        instances.Subcommands.Add(Run(new Command("restore", "Restore an instance from one of its snapshots (its disk, and its memory if the snapshot holds it).") { id, snapshot, restoreWait },
            async (p, c, ct) =>
            {
                var written = await Output.ToJsonAsync(await c.Client.V1.Instances[Id(p, id)].Actions.Restore.PostAsync(
                    new RestoreSnapshotRequest { SnapshotId = await ResolveAsync(c, "snapshots", p.GetValue(snapshot)!, ct) }, cancellationToken: ct));
                await c.Output.ItemAsync(written);
                return await WaitIfAskedAsync(c, p.GetValue(restoreWait), written, ct);
            }));

        var status = new Option<string>("--status") { Description = "The status to set (admin): running, stopped or error.", Required = true };
        var reason = new Option<string?>("--reason") { Description = "Why, for the action history." };
        instances.Subcommands.Add(Run(new Command("reset-state", "Set a stuck instance's status by hand (admin); the action history keeps the reason.") { id, status, reason },
            async (p, c, ct) =>
            {
                await c.Output.ItemAsync(await c.Client.V1.Instances[Id(p, id)].Actions.ResetState.PostAsync(new ResetStateRequest
                {
                    Status = EnumWords.Parse<InstanceStatus>(p.GetValue(status)!, "--status"),
                    Reason = p.GetValue(reason),
                }, cancellationToken: ct));
                return ExitCodes.Ok;
            }));

        var limit = new Option<int?>("--limit") { Description = "At most this many, newest first." };
        instances.Subcommands.Add(Run(new Command("history", "The instance's action history: who did what to it, when, and how it ended.") { id, limit },
            async (p, c, ct) =>
            {
                var page = await Output.ToJsonAsync(await c.Client.V1.Instances[Id(p, id)].Actions.GetAsync(r => r.QueryParameters.Limit = p.GetValue(limit), ct));
                await c.Output.RowsAsync(Items(page), ["at", "action", "fromStatus", "toStatus", "actor", "detail"]);
                return ExitCodes.Ok;
            }));

        var type = new Option<string?>("--type") { Description = "live (default for a running instance), cold or storage." };
        var target = new Option<string?>("--target") { Description = "Target host id or name (default: the planner's best)." };
        var downtime = new Option<int?>("--max-downtime-ms") { Description = "Live: the downtime budget of the switch-over." };
        var bandwidth = new Option<int?>("--bandwidth-mbps") { Description = "The migration stream's bandwidth cap." };
        var migrateWait = new Option<bool>("--wait") { Description = "Follow the migration to its end: stage, progress, downtime." };
        instances.Subcommands.Add(Run(new Command("migrate", "Migrate an instance (admin): 202 with the migration.") { id, type, target, downtime, bandwidth, migrateWait },
            async (p, c, ct) =>
            {
                var migration = await c.Client.V1.Instances[Id(p, id)].Actions.Migrate.PostAsync(new MigrateRequest
                {
                    Type = p.GetValue(type) is { } t ? EnumWords.Parse<MigrationType>(t, "--type") : null,
                    TargetHostId = p.GetValue(target) is { } h ? await ResolveAsync(c, "hosts", h, ct) : null,
                    MaxDowntimeMs = p.GetValue(downtime),
                    BandwidthMbps = p.GetValue(bandwidth),
                }, cancellationToken: ct);
                await c.Output.ItemAsync(migration);
                return p.GetValue(migrateWait) && migration?.Id is { } m ? await c.Progress.MigrationAsync(c.Client, m, ct) : ExitCodes.Ok;
            }));
    }

    private void AddHostCommands(Command hosts)
    {
        var id = new Argument<string>("id") { Description = "The host's id." };
        var wait = new Option<bool>("--wait") { Description = "Follow the work (the drain, the power change) to its end with a progress bar." };
        (string Verb, string Text, Func<Client.IaasApiClient, Guid, CancellationToken, Task<HostResponse?>> Call)[] verbs =
        [
            ("drain", "Enter maintenance: no new placements, and what runs there migrates away.",
                (client, host, ct) => client.V1.Hosts[host].Actions.EnterMaintenance.PostAsync(cancellationToken: ct)),
            ("undrain", "Exit maintenance: the host takes placements again.",
                (client, host, ct) => client.V1.Hosts[host].Actions.ExitMaintenance.PostAsync(cancellationToken: ct)),
            ("power-off", "Power an empty host off.", (client, host, ct) => client.V1.Hosts[host].Actions.PowerOff.PostAsync(cancellationToken: ct)),
            ("power-on", "Power a host on.", (client, host, ct) => client.V1.Hosts[host].Actions.PowerOn.PostAsync(cancellationToken: ct)),
        ];
        foreach (var (verb, text, call) in verbs)
            hosts.Subcommands.Add(Run(new Command(verb, text) { id, wait }, async (p, c, ct) =>
            {
                var written = await Output.ToJsonAsync(await call(c.Client, Id(p, id), ct));
                await c.Output.ItemAsync(written);
                return await WaitIfAskedAsync(c, p.GetValue(wait), written, ct);
            }));
    }

    /// <summary>An id as given, or the one resource of that kind with that name.</summary>
    private static async Task<Guid> ResolveAsync(Context c, string kind, string value, CancellationToken ct)
    {
        if (Guid.TryParse(value, out var id)) return id;
        var list = ResourceKinds.All.Single(k => k.Command == kind).List;
        var page = await Output.ToJsonAsync(await list(c.Client, new ListArgs(2, null, new Dictionary<string, string> { ["name"] = value }), ct));
        var items = (page?["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        return items.Count switch
        {
            1 => Guid.Parse(items[0]["id"]!.GetValue<string>()),
            0 => throw new CliException($"No {kind[..^1]} is named '{value}'.", ExitCodes.Usage),
            _ => throw new CliException($"More than one {kind[..^1]} is named '{value}': give its id.", ExitCodes.Usage),
        };
    }
}
