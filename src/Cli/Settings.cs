using System.Text.Json;
using System.Text.Json.Nodes;

namespace IaasApi.Cli;

/// <summary>A named connection: the control plane's endpoint and the API key to use there.</summary>
public sealed record Profile(string? Endpoint, string? ApiKey);

/// <summary>
/// The profiles file (<c>$IAAS_CONFIG</c>, else <c>~/.config/iaas/config.json</c>, written readable by its owner only):
/// <c>{"current": "prod", "profiles": {"prod": {"endpoint": "...", "apiKey": "..."}}}</c>.
/// </summary>
public sealed class ProfileStore(string path)
{
    public string Path { get; } = path;

    public static ProfileStore From(Func<string, string?> env) => new(env("IAAS_CONFIG") is { Length: > 0 } path ? path
        : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "iaas", "config.json"));

    public (string? Current, Dictionary<string, Profile> Profiles) Read()
    {
        if (!File.Exists(Path)) return (null, new Dictionary<string, Profile>(StringComparer.Ordinal));
        var root = JsonNode.Parse(File.ReadAllText(Path)) as JsonObject ?? throw new CliException($"{Path} is not a JSON object.", ExitCodes.Usage);
        var profiles = new Dictionary<string, Profile>(StringComparer.Ordinal);
        foreach (var (name, value) in root["profiles"] as JsonObject ?? [])
            profiles[name] = new Profile(value?["endpoint"]?.GetValue<string>(), value?["apiKey"]?.GetValue<string>());
        return (root["current"]?.GetValue<string>(), profiles);
    }

    public void Write(string? current, IReadOnlyDictionary<string, Profile> profiles)
    {
        var root = new JsonObject
        {
            ["current"] = current,
            ["profiles"] = new JsonObject(profiles.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create<string, JsonNode?>(p.Key,
                new JsonObject { ["endpoint"] = p.Value.Endpoint, ["apiKey"] = p.Value.ApiKey }))),
        };
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        File.WriteAllText(Path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}

/// <summary>What a command connects with: flags first, then IAAS_ENDPOINT / IAAS_API_KEY, then the profile.</summary>
public sealed record Connection(Uri Endpoint, string? ApiKey, string ProfileName);

public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The API refused the request (a problem: 4xx/5xx); the problem is printed on stderr.</summary>
    public const int ApiError = 1;
    /// <summary>The command line was wrong (unknown command, missing argument, bad value).</summary>
    public const int Usage = 2;
    /// <summary>Work followed to its end ended failed or cancelled.</summary>
    public const int WorkFailed = 3;
    /// <summary>Work followed did not end within --timeout.</summary>
    public const int Timeout = 4;
    /// <summary>The control plane could not be reached.</summary>
    public const int Unreachable = 5;
}

public sealed class CliException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
