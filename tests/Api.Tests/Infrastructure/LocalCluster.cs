using System.Diagnostics;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of a test's own (scripts/local-postgres.sh in a directory of its own), for tests that stop and
/// start the database under the control plane; it comes back on the same port, as a restarted server would.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly string _directory;

    private LocalCluster(string directory, string connectionString)
    {
        _directory = directory;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<LocalCluster> StartAsync(string workDir)
    {
        // As root the cluster runs as the postgres user, which must reach its directory.
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(workDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                          | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var directory = Path.Combine(workDir, "pg");
        return new LocalCluster(directory, await RunAsync("start", directory));
    }

    public Task StopAsync() => RunAsync("stop", _directory);

    /// <summary>Starts it again; returns its connection string (the same port as before, unless that port was taken meanwhile).</summary>
    public Task<string> StartAgainAsync() => RunAsync("start", _directory);

    /// <summary>The server's own log, for a failure's message.</summary>
    public string LogFile => Path.Combine(_directory, "postgres.log");

    private static async Task<string> RunAsync(string verb, string directory)
    {
        var script = Path.Combine(ChildProcess.RepoRoot() ?? throw new InvalidOperationException("Repository root not found."), "scripts", "local-postgres.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script, verb, directory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"local-postgres.sh {verb}: {await errors}");
        return (await output).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync(); } catch (Exception) { /* best effort */ }
    }
}
