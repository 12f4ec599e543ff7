using System.CommandLine;
using System.Text.Json.Nodes;
using IaasApi.Client.Models;

namespace IaasApi.Cli;

public sealed partial class CliApp
{
    /// <summary>API keys: a tenant's (<c>iaas keys … --tenant</c>) or the admin keys (without it). A new key's secret is shown once.</summary>
    private Command KeysCommand()
    {
        var keys = new Command("keys", "API keys: a tenant's with --tenant, else the admin keys. A new key's secret is printed once.");
        var tenant = new Option<string?>("--tenant") { Description = "Tenant id or name (absent: the admin keys)." };
        var name = new Option<string>("--name") { Description = "What the key is for.", Required = true };
        var id = new Argument<string>("id") { Description = "The key's id." };
        string[] columns = ["id", "name", "role", "tenantId", "createdAt", "revokedAt"];

        keys.Subcommands.Add(Run(new Command("list", "List the keys.") { tenant }, async (p, c, ct) =>
        {
            var page = p.GetValue(tenant) is { } t
                ? await c.Client.V1.Tenants[await ResolveAsync(c, "tenants", t, ct)].ApiKeys.GetAsync(cancellationToken: ct)
                : await c.Client.V1.AdminKeys.GetAsync(cancellationToken: ct);
            await c.Output.RowsAsync(Items(await Output.ToJsonAsync(page)), columns);
            return ExitCodes.Ok;
        }));
        keys.Subcommands.Add(Run(new Command("create", "Create a key; its secret is in the answer, and only there.") { tenant, name }, async (p, c, ct) =>
        {
            var body = new CreateApiKeyRequest { Name = p.GetValue(name) };
            var created = p.GetValue(tenant) is { } t
                ? await c.Client.V1.Tenants[await ResolveAsync(c, "tenants", t, ct)].ApiKeys.PostAsync(body, cancellationToken: ct)
                : await c.Client.V1.AdminKeys.PostAsync(body, cancellationToken: ct);
            await c.Output.ItemAsync(created);
            return ExitCodes.Ok;
        }));
        keys.Subcommands.Add(Run(new Command("revoke", "Revoke a key: it stops working at once.") { id, tenant }, async (p, c, ct) =>
        {
            if (p.GetValue(tenant) is { } t)
                await c.Client.V1.Tenants[await ResolveAsync(c, "tenants", t, ct)].ApiKeys[Id(p, id)].DeleteAsync(cancellationToken: ct);
            else await c.Client.V1.AdminKeys[Id(p, id)].DeleteAsync(cancellationToken: ct);
            return ExitCodes.Ok;
        }));
        return keys;
    }

    /// <summary>The fleet at a glance, the best-effort queue, and a zone's capacity timeline.</summary>
    private IEnumerable<Command> ViewCommands()
    {
        yield return Run(new Command("overview", "The fleet at a glance (admin): zones, hosts by state, instances by status, work in flight."),
            async (p, c, ct) =>
            {
                await c.Output.ItemAsync(await c.Client.V1.Overview.GetAsync(cancellationToken: ct));
                return ExitCodes.Ok;
            });
        var zone = new Option<string?>("--zone") { Description = "Zone id or name." };
        yield return Run(new Command("queue", "The best-effort queue, in the order it is served.") { zone }, async (p, c, ct) =>
        {
            var zoneId = p.GetValue(zone) is { } z ? await ResolveAsync(c, "zones", z, ct) : (Guid?)null;
            var queue = await c.Client.V1.Queue.GetAsync(r => r.QueryParameters.ZoneId = zoneId, ct);
            await c.Output.RowsAsync(Items(await Output.ToJsonAsync(queue)), ["position", "name", "status", "priority", "tenantId", "queuedAt", "statusReason"]);
            return ExitCodes.Ok;
        });
        var capacityZone = new Option<string>("--zone") { Description = "Zone id or name.", Required = true };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Start (default: now)." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "End (default: 24 h after the start)." };
        var step = new Option<string?>("--step") { Description = "ISO 8601 (PT10M), seconds, or 15m/1h/1d (default 1h)." };
        yield return Run(new Command("capacity", "A zone's capacity timeline: usable, allocated, reserved and free per step.") { capacityZone, from, to, step },
            async (p, c, ct) =>
            {
                var zoneId = await ResolveAsync(c, "zones", p.GetValue(capacityZone)!, ct);
                var timeline = await c.Client.V1.Capacity.GetAsync(r =>
                {
                    r.QueryParameters.ZoneId = zoneId;
                    r.QueryParameters.From = p.GetValue(from)?.ToString("O");
                    r.QueryParameters.To = p.GetValue(to)?.ToString("O");
                    r.QueryParameters.Step = p.GetValue(step);
                }, ct);
                var json = await Output.ToJsonAsync(timeline);
                if (c.Output.Format == OutputFormat.Json) await c.Output.ItemAsync(json);
                else
                {
                    var rows = (json?["points"] as JsonArray ?? []).OfType<JsonObject>().Select(point => new JsonObject
                    {
                        ["at"] = point["at"]?.DeepClone(),
                        ["usableVcpus"] = point["usable"]?["vcpus"]?.DeepClone(), ["allocatedVcpus"] = point["allocated"]?["vcpus"]?.DeepClone(),
                        ["reservedVcpus"] = point["reserved"]?["vcpus"]?.DeepClone(), ["freeVcpus"] = point["free"]?["vcpus"]?.DeepClone(),
                        ["freeMemoryMiB"] = point["free"]?["memoryMiB"]?.DeepClone(),
                    }).ToList();
                    await c.Output.RowsAsync(rows, ["at", "usableVcpus", "allocatedVcpus", "reservedVcpus", "freeVcpus", "freeMemoryMiB"]);
                }
                return ExitCodes.Ok;
            });
    }

    private static List<JsonObject> Items(JsonNode? json, string member = "items") => (json?[member] as JsonArray ?? []).OfType<JsonObject>().ToList();
}
