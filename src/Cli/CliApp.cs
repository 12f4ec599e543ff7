using System.CommandLine;
using System.Text.Json.Nodes;
using IaasApi.Client;
using IaasApi.Client.Models;
using Microsoft.Kiota.Abstractions;

namespace IaasApi.Cli;

/// <summary>
/// <c>iaas</c>: every resource's list / show / create / delete, instance and host actions, migrations, and progress
/// bars that follow long work to its end. Results go to stdout (a table, or JSON with <c>-o json</c>), problems and
/// progress to stderr; the exit code says how it went (<see cref="ExitCodes"/>).
/// </summary>
public sealed partial class CliApp(TextWriter stdout, TextWriter stderr, Func<string, string?> environment, HttpMessageHandler? transport = null,
                                   bool interactive = false)
{
    private readonly Option<string?> _endpoint = new("--endpoint") { Description = "The control plane's URL (else IAAS_ENDPOINT, else the profile's, else http://localhost:5000).", Recursive = true };
    private readonly Option<string?> _apiKey = new("--api-key") { Description = "The API key (else IAAS_API_KEY, else the profile's).", Recursive = true };
    private readonly Option<string?> _profile = new("--profile") { Description = "The profile to use (else IAAS_PROFILE, else the current one).", Recursive = true };
    private readonly Option<OutputFormat> _output = new("--output", "-o") { Description = "table or json.", Recursive = true, DefaultValueFactory = _ => OutputFormat.Table };
    private readonly Option<int> _timeout = new("--timeout") { Description = "Seconds --wait follows work before giving up (exit 4).", Recursive = true, DefaultValueFactory = _ => 1800 };
    private readonly Option<int> _pollMs = new("--poll-ms") { Description = "How often --wait reads the work's state.", Recursive = true, DefaultValueFactory = _ => 1000, Hidden = true };

    public static Task<int> Main(string[] args) =>
        new CliApp(Console.Out, Console.Error, Environment.GetEnvironmentVariable, interactive: !Console.IsErrorRedirected).RunAsync(args);

    public async Task<int> RunAsync(string[] args, CancellationToken ct = default)
    {
        var root = new RootCommand("iaas: the IaasApi control plane from the command line (docs/cli.md).");
        foreach (var option in new Option[] { _endpoint, _apiKey, _profile, _output, _timeout, _pollMs }) root.Options.Add(option);
        root.Subcommands.Add(ProfileCommand());
        root.Subcommands.Add(CompletionCommand(stdout));
        root.Subcommands.Add(Run(new Command("me", "Who this API key is."), async (p, c, t) =>
        {
            await c.Output.ItemAsync(await c.Client.V1.Me.GetAsync(cancellationToken: t));
            return ExitCodes.Ok;
        }));
        foreach (var kind in ResourceKinds.All) root.Subcommands.Add(ResourceCommand(kind));
        root.Subcommands.Add(KeysCommand());
        foreach (var view in ViewCommands()) root.Subcommands.Add(view);
        foreach (var planning in PlanningCommands()) root.Subcommands.Add(planning);

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) await stderr.WriteLineAsync(error.Message);
            await stderr.WriteLineAsync("See 'iaas --help'.");
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, ct);
    }

    /// <summary>What an action runs with: the connection, the generated client, the output and the progress follower.</summary>
    private sealed record Context(Connection Connection, IaasApiClient Client, Output Output, Progress Progress);

    private Command Run(Command command, Func<ParseResult, Context, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, ct) =>
        {
            Connection? connection = null;
            try
            {
                connection = Connect(parse);
                var context = new Context(connection, IaasApiConnection.Create(connection.Endpoint, connection.ApiKey, transport),
                    new Output(stdout, parse.GetValue(_output)),
                    new Progress(stderr, interactive, TimeSpan.FromMilliseconds(Math.Max(10, parse.GetValue(_pollMs))), TimeSpan.FromSeconds(parse.GetValue(_timeout))));
                return await action(parse, context, ct);
            }
            catch (Problem problem)
            {
                var slug = problem.Type?[(problem.Type.LastIndexOf('/') + 1)..];
                await stderr.WriteLineAsync($"{problem.ResponseStatusCode} {slug}: {problem.Detail ?? problem.Title}");
                if (await Output.ToJsonAsync(problem.Errors) is JsonObject errors)
                    foreach (var (field, messages) in errors)
                        await stderr.WriteLineAsync($"  {field}: {(messages is JsonArray list ? string.Join(" ", list.Select(m => m?.ToString())) : messages?.ToString())}");
                await stderr.WriteLineAsync($"  (trace {problem.TraceId})");
                return ExitCodes.ApiError;
            }
            catch (ApiException ex)
            {
                await stderr.WriteLineAsync($"{ex.ResponseStatusCode}: {ex.Message}");
                return ExitCodes.ApiError;
            }
            catch (HttpRequestException ex)
            {
                await stderr.WriteLineAsync($"Cannot reach {connection?.Endpoint}: {ex.Message}");
                return ExitCodes.Unreachable;
            }
            catch (CliException ex)
            {
                await stderr.WriteLineAsync(ex.Message);
                return ex.ExitCode;
            }
        });
        return command;
    }

    private Connection Connect(ParseResult parse)
    {
        var (current, profiles) = ProfileStore.From(environment).Read();
        var name = parse.GetValue(_profile) ?? environment("IAAS_PROFILE") ?? current ?? "default";
        if (parse.GetValue(_profile) is { } asked && !profiles.ContainsKey(asked))
            throw new CliException($"No profile '{asked}' (profiles: {string.Join(", ", profiles.Keys.DefaultIfEmpty("none"))}).", ExitCodes.Usage);
        var profile = profiles.GetValueOrDefault(name);
        var endpoint = parse.GetValue(_endpoint) ?? environment("IAAS_ENDPOINT") ?? profile?.Endpoint ?? "http://localhost:5000";
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new CliException($"'{endpoint}' is not an http(s) URL.", ExitCodes.Usage);
        return new Connection(uri, parse.GetValue(_apiKey) ?? environment("IAAS_API_KEY") ?? profile?.ApiKey, name);
    }

    /// <summary>Follows the operation a written resource names (its operationId), when asked to wait.</summary>
    private static async Task<int> WaitIfAskedAsync(Context c, bool wait, JsonNode? written, CancellationToken ct)
    {
        if (!wait) return ExitCodes.Ok;
        if (written?["operationId"]?.GetValue<string>() is not { } id) return ExitCodes.Ok;   // synchronous: done already
        return await c.Progress.OperationAsync(c.Client, Guid.Parse(id), ct);
    }

    private static Guid Id(ParseResult parse, Argument<string> argument) =>
        Guid.TryParse(parse.GetValue(argument), out var id) ? id : throw new CliException($"'{parse.GetValue(argument)}' is not an id.", ExitCodes.Usage);

    private static RequestHeaders Headers(string? idempotencyKey = null, string? ifMatch = null)
    {
        var headers = new RequestHeaders();
        if (idempotencyKey is not null) headers.Add("Idempotency-Key", idempotencyKey);
        if (ifMatch is not null) headers.Add("If-Match", ifMatch);
        return headers;
    }
}
