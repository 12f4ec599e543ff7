using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>
/// A built IaasApi program (src/Api or src/Workers) run as its own process, the way the README and compose run it.
/// Output is collected; the process tree is killed on dispose.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private ChildProcess(Process process, string? baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string? BaseUrl { get; }

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>src/Api on a free loopback port; returns once /readyz answers 200.</summary>
    public static async Task<ChildProcess> StartApiAsync(IDictionary<string, string> environment, string workingDirectory)
    {
        var api = StartApi(environment, workingDirectory);
        await api.WaitForAsync("/readyz");
        return api;
    }

    /// <summary>src/Api on a free loopback port, without waiting for it.</summary>
    public static ChildProcess StartApi(IDictionary<string, string> environment, string workingDirectory)
    {
        var port = FreePort();
        return Start("Api", ["--urls", $"http://127.0.0.1:{port}"], environment, workingDirectory, $"http://127.0.0.1:{port}");
    }

    /// <summary>Waits until GET <paramref name="path"/> answers 2xx (or the process exits, or a minute passes).</summary>
    public async Task WaitForAsync(string path)
    {
        using var probe = new HttpClient { BaseAddress = new Uri(BaseUrl!) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The process exited ({_process.ExitCode}):\n{Output()}");
            try
            {
                if ((await probe.GetAsync(path)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        Dispose();
        throw new TimeoutException($"{path} never answered 2xx:\n{Output()}");
    }

    public static ChildProcess StartWorkers(IDictionary<string, string> environment, string workingDirectory) =>
        Start("Workers", [], environment, workingDirectory, null);

    /// <summary>
    /// src/Workers, returned once its host has started (its Hangfire server is announced and polling): the host's
    /// lifetime line is turned on for this process alone, so the caller's clock starts when jobs can run, not while
    /// the runtime is still loading on a busy machine.
    /// </summary>
    public static async Task<ChildProcess> StartWorkersAsync(IDictionary<string, string> environment, string workingDirectory)
    {
        var workers = StartWorkers(new Dictionary<string, string>(environment) { ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information" }, workingDirectory);
        await workers.WaitForLineAsync("Application started", TimeSpan.FromSeconds(90));
        return workers;
    }

    /// <summary>Waits until a line containing <paramref name="text"/> is printed (or the process exits, or the time passes).</summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_output)
                if (_output.Any(l => l.Contains(text, StringComparison.Ordinal))) return;
            if (_process.HasExited) throw new InvalidOperationException($"The process exited ({_process.ExitCode}):\n{Output()}");
            await Task.Delay(100);
        }
        throw new TimeoutException($"'{text}' was never printed:\n{Output()}");
    }

    /// <summary>Runs src/Api with arguments (the migrate verb) to completion.</summary>
    public static async Task<(int ExitCode, string Output)> RunApiAsync(string[] args, IDictionary<string, string> environment, string workingDirectory)
    {
        using var run = Start("Api", args, environment, workingDirectory, null);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await run._process.WaitForExitAsync(timeout.Token);
        run._process.WaitForExit();   // flush the output handlers
        return (run._process.ExitCode, run.Output());
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl ?? throw new InvalidOperationException("Not an HTTP process.")) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public string Line(string prefix)
    {
        lock (_output)
            return _output.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim()
                   ?? throw new InvalidOperationException($"No line starting '{prefix}' in:\n{Output()}");
    }

    public bool Printed(string prefix)
    {
        lock (_output) return _output.Any(l => l.StartsWith(prefix, StringComparison.Ordinal));
    }

    public string Output()
    {
        lock (_output) return string.Join('\n', _output);
    }

    /// <summary>Kills the process alone (SIGKILL), as a crash would: its children (an agent's QEMU processes) live on.</summary>
    public void Crash()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10000);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10000);
        _process.Dispose();
    }

    private static ChildProcess Start(string project, string[] args, IDictionary<string, string> environment, string workingDirectory, string? baseUrl)
    {
        var start = new ProcessStartInfo("dotnet", [Dll(project), .. args])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("ConnectionStrings__Postgres");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var child = new ChildProcess(Process.Start(start)!, baseUrl);
        child._process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (child._output) child._output.Add(e.Data); };
        child._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (child._output) child._output.Add(e.Data); };
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The program built alongside these tests (same configuration).</summary>
    /// <summary>The repository's root (where IaasApi.sln is), above the test's binaries; null if they live elsewhere.</summary>
    public static string? RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "IaasApi.sln"))) return dir.FullName;
        return null;
    }

    private static string Dll(string project)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);            // tests/Api.Tests/bin/<Configuration>/<tfm>/
        var dll = Path.Combine(RepoRoot() ?? throw new InvalidOperationException("Repository root not found."),
            "src", project, "bin", here.Parent!.Name, here.Name, $"IaasApi.{project}.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build src/{project} first.", dll);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
