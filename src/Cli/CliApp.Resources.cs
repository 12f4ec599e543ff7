using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;

namespace IaasApi.Cli;

public sealed partial class CliApp
{
    private Command ResourceCommand(ResourceKind kind)
    {
        var command = new Command(kind.Command, kind.Description);
        command.Subcommands.Add(ListCommand(kind));
        var id = new Argument<string>("id") { Description = "The resource's id." };
        if (kind.Show is { } show)
        {
            var showCommand = new Command("show", $"One of {kind.Command}.") { id };
            command.Subcommands.Add(Run(showCommand, async (p, c, ct) =>
            {
                await c.Output.ItemAsync(await show(c.Client, Id(p, id), ct));
                return ExitCodes.Ok;
            }));
        }
        if (kind.Create is { } create) command.Subcommands.Add(CreateCommand(kind, create));
        if (kind.Update is { } update) command.Subcommands.Add(UpdateCommand(kind, update));
        if (kind.Delete is { } delete)
        {
            var ifMatch = new Option<string?>("--if-match") { Description = "Delete only if the resource still has this ETag (412 otherwise)." };
            var wait = new Option<bool>("--wait") { Description = "Follow the delete's operation to its end, with a progress bar." };
            var deleteCommand = new Command("delete", $"Delete one of {kind.Command}.") { id, ifMatch, wait };
            command.Subcommands.Add(Run(deleteCommand, async (p, c, ct) =>
            {
                var written = await Output.ToJsonAsync(await delete(c.Client, Id(p, id), Headers(ifMatch: p.GetValue(ifMatch)), ct));
                if (written is not null) await c.Output.Writer.WriteLineAsync(c.Output.Format == OutputFormat.Json ? written.ToJsonString() : $"deleting {written["id"]}");
                return await WaitIfAskedAsync(c, p.GetValue(wait), written, ct);
            }));
        }
        switch (kind.Command)
        {
            case "instances": AddInstanceCommands(command); break;
            case "hosts": AddHostCommands(command); break;
            case "operations": AddOperationCommands(command); break;
            case "migrations": AddMigrationCommands(command); break;
        }
        return command;
    }

    private Command ListCommand(ResourceKind kind)
    {
        var limit = new Option<int?>("--limit") { Description = "At most this many (the API's page size)." };
        var pageToken = new Option<string?>("--page-token") { Description = "The nextPageToken of the page before." };
        var all = new Option<bool>("--all") { Description = "Every page, following nextPageToken." };
        var filter = new Option<string[]>("--filter") { Description = "key=value: a query parameter of the list (repeatable), e.g. --filter status=running.", AllowMultipleArgumentsPerToken = false };
        var list = new Command("list", $"List {kind.Command}.") { limit, pageToken, all, filter };
        return Run(list, async (p, c, ct) =>
        {
            var filters = (p.GetValue(filter) ?? []).Select(f => f.Split('=', 2)).ToDictionary(
                f => f[0], f => f.Length == 2 ? f[1] : throw new CliException($"--filter takes key=value, not '{f[0]}'.", ExitCodes.Usage));
            var rows = new List<JsonObject>();
            var token = p.GetValue(pageToken);
            do
            {
                var page = await Output.ToJsonAsync(await kind.List(c.Client, new ListArgs(p.GetValue(limit), token, filters), ct));
                rows.AddRange((page?["items"] as JsonArray ?? []).OfType<JsonObject>());
                token = page?["nextPageToken"]?.GetValue<string>();
            } while (p.GetValue(all) && token is not null);
            await c.Output.RowsAsync(rows, kind.Columns);
            if (token is not null && c.Output.Format == OutputFormat.Table) await stderr.WriteLineAsync($"(more: --page-token {token}, or --all)");
            return ExitCodes.Ok;
        });
    }

    /// <summary>A request body from <c>--file</c> and <c>--set</c>: the options, and the reading of them.</summary>
    private sealed class BodyOptions
    {
        public readonly Option<string[]> Set = new("--set") { Description = "field=value of the request body (repeatable; dotted for nested: capacity.vcpus=8; [..] or {..} as JSON)." };
        public readonly Option<FileInfo?> File = new("--file", "-f") { Description = "The request body as a JSON file (--set values are applied on top)." };

        public void AddTo(Command command)
        {
            command.Options.Add(Set);
            command.Options.Add(File);
        }

        public async Task<string> ReadAsync(ParseResult p, CancellationToken ct)
        {
            var body = p.GetValue(File) is { } f ? JsonNode.Parse(await System.IO.File.ReadAllTextAsync(f.FullName, ct)) as JsonObject
                       ?? throw new CliException($"{f.Name} does not hold a JSON object.", ExitCodes.Usage) : new JsonObject();
            foreach (var assignment in p.GetValue(Set) ?? []) Assign(body, assignment);
            return body.ToJsonString();
        }
    }

    private Command UpdateCommand(ResourceKind kind, Func<Client.IaasApiClient, Guid, string, RequestHeaders, CancellationToken, Task<IParsable?>> update)
    {
        var id = new Argument<string>("id") { Description = "The resource's id." };
        var body = new BodyOptions();
        var ifMatch = new Option<string?>("--if-match") { Description = "Change it only if it still has this ETag (412 otherwise)." };
        var command = new Command("update", $"Change one of {kind.Command}: only the fields given (a merge patch).") { id, ifMatch };
        body.AddTo(command);
        return Run(command, async (p, c, ct) =>
        {
            await c.Output.ItemAsync(await update(c.Client, Id(p, id), await body.ReadAsync(p, ct), Headers(ifMatch: p.GetValue(ifMatch)), ct));
            return ExitCodes.Ok;
        });
    }

    private Command CreateCommand(ResourceKind kind, Func<Client.IaasApiClient, string, RequestHeaders, CancellationToken, Task<IParsable?>> create)
    {
        var body = new BodyOptions();
        var key = new Option<string?>("--idempotency-key") { Description = "Makes a retry of this create safe: the same key replays the first answer." };
        var wait = new Option<bool>("--wait") { Description = "Follow the create's operation to its end, with a progress bar." };
        var command = new Command("create", $"Create one of {kind.Command} (the body as API.md describes it).") { key, wait };
        body.AddTo(command);
        return Run(command, async (p, c, ct) =>
        {
            var written = await Output.ToJsonAsync(await create(c.Client, await body.ReadAsync(p, ct), Headers(p.GetValue(key)), ct));
            await c.Output.ItemAsync(written);
            return await WaitIfAskedAsync(c, p.GetValue(wait), written, ct);
        });
    }

    /// <summary>field=value into the body: numbers, booleans, null and JSON literals as such; anything else a string.</summary>
    internal static void Assign(JsonObject body, string assignment)
    {
        var parts = assignment.Split('=', 2);
        if (parts.Length != 2 || parts[0].Length == 0) throw new CliException($"--set takes field=value, not '{assignment}'.", ExitCodes.Usage);
        var path = parts[0].Split('.');
        var target = body;
        foreach (var segment in path[..^1])
            target = target[segment] as JsonObject ?? (JsonObject)(target[segment] = new JsonObject());
        var text = parts[1];
        JsonNode? value;
        if (text is "true" or "false" or "null" || text.StartsWith('[') || text.StartsWith('{') || text.StartsWith('"')
            || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            try { value = JsonNode.Parse(text); }
            catch (System.Text.Json.JsonException) { value = JsonValue.Create(text); }
        }
        else value = JsonValue.Create(text);
        target[path[^1]] = value;
    }

    private Command AddOperationCommands(Command operations)
    {
        var id = new Argument<string>("id") { Description = "The operation's id." };
        operations.Subcommands.Add(Run(new Command("wait", "Follow an operation to its end with a progress bar (exit 0 succeeded, 3 failed, 4 timeout).") { id },
            (p, c, ct) => c.Progress.OperationAsync(c.Client, Id(p, id), ct)));
        return operations;
    }

    private Command AddMigrationCommands(Command migrations)
    {
        var id = new Argument<string>("id") { Description = "The migration's id." };
        AddMigrationPreview(migrations);
        migrations.Subcommands.Add(Run(new Command("follow", "Follow a migration to its end: stage, progress, downtime.") { id },
            (p, c, ct) => c.Progress.MigrationAsync(c.Client, Id(p, id), ct)));
        foreach (var (verb, text) in new[] { ("cancel", "Cancel it: the VM stays on its source."), ("force-complete", "Switch a live migration to post-copy now.") })
            migrations.Subcommands.Add(Run(new Command(verb, text) { id }, async (p, c, ct) =>
            {
                await c.Output.ItemAsync(await c.Client.V1.Migrations[Id(p, id)].Actions[verb].PostAsync(cancellationToken: ct));
                return ExitCodes.Ok;
            }));
        return migrations;
    }
}
