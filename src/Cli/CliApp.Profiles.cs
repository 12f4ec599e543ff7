using System.CommandLine;
using System.Text.Json.Nodes;

namespace IaasApi.Cli;

public sealed partial class CliApp
{
    private Command ProfileCommand()
    {
        var profile = new Command("profile", "Named connections (endpoint and API key) in the profiles file ($IAAS_CONFIG, else ~/.config/iaas/config.json).");
        var name = new Argument<string>("name") { Description = "The profile's name." };
        var endpoint = new Option<string?>("--endpoint") { Description = "The control plane's URL." };
        var apiKey = new Option<string?>("--api-key") { Description = "The API key." };
        var use = new Option<bool>("--use") { Description = "Make it the current profile." };

        var setCommand = new Command("set", "Create or change a profile.") { name, endpoint, apiKey, use };
        setCommand.SetAction(async (p, _) =>
        {
            var store = ProfileStore.From(environment);
            var (current, profiles) = store.Read();
            var profileName = p.GetValue(name)!;
            var old = profiles.GetValueOrDefault(profileName);
            profiles[profileName] = new Profile(p.GetValue(endpoint) ?? old?.Endpoint, p.GetValue(apiKey) ?? old?.ApiKey);
            store.Write(p.GetValue(use) || current is null ? profileName : current, profiles);
            await stdout.WriteLineAsync($"profile '{profileName}' saved in {store.Path}");
            return ExitCodes.Ok;
        });
        var useCommand = new Command("use", "Make a profile the current one.") { name };
        useCommand.SetAction(async (p, _) =>
        {
            var store = ProfileStore.From(environment);
            var (_, profiles) = store.Read();
            if (!profiles.ContainsKey(p.GetValue(name)!))
            {
                await stderr.WriteLineAsync($"No profile '{p.GetValue(name)}'.");
                return ExitCodes.Usage;
            }
            store.Write(p.GetValue(name), profiles);
            return ExitCodes.Ok;
        });
        var listCommand = new Command("list", "The profiles (keys masked).");
        listCommand.SetAction(async (p, _) =>
        {
            var (current, profiles) = ProfileStore.From(environment).Read();
            var rows = profiles.Select(x => new JsonObject
            {
                ["name"] = x.Key, ["current"] = x.Key == current ? "*" : "", ["endpoint"] = x.Value.Endpoint, ["apiKey"] = Mask(x.Value.ApiKey),
            }).ToList();
            await new Output(stdout, p.GetValue(_output)).RowsAsync(rows, ["current", "name", "endpoint", "apiKey"]);
            return ExitCodes.Ok;
        });
        profile.Subcommands.Add(setCommand);
        profile.Subcommands.Add(useCommand);
        profile.Subcommands.Add(listCommand);
        profile.Subcommands.Add(Run(new Command("show", "The connection this command line would use (flags, environment, profile)."), async (p, c, _) =>
        {
            await c.Output.ItemAsync(new JsonObject
            {
                ["profile"] = c.Connection.ProfileName, ["endpoint"] = c.Connection.Endpoint.ToString(), ["apiKey"] = Mask(c.Connection.ApiKey),
            });
            return ExitCodes.Ok;
        }));
        return profile;
    }

    private static string? Mask(string? key) => key is null ? null : key.Length <= 10 ? "****" : key[..8] + "…";
}
