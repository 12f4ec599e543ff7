using System.Text.Json;
using IaasApi.Infrastructure.Hypervisors.Fake;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>
/// The production layout as processes, for fault campaigns: an api that only enqueues (InProcessWorkers=false) and
/// agents — src/Workers processes — each the agent of its fake hosts (<c>Iaas:FakeDriver:RunsOnHosts</c>: their work
/// goes to <c>h-&lt;name&gt;</c> and each agent keeps its hosts' VMs in its own state file) and each also serving the
/// shared control queue. Any agent can be killed (SIGKILL, as a crash) and started again on the same state.
/// </summary>
public sealed class Fleet : IDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly string _workDir;
    private readonly Dictionary<string, ChildProcess?> _agents = [];

    private Fleet(Dictionary<string, string> environment, string workDir, IReadOnlyDictionary<string, IReadOnlyList<string>> hostsByAgent)
    {
        _environment = environment;
        _workDir = workDir;
        HostsByAgent = hostsByAgent;
    }

    public ChildProcess Api { get; private set; } = null!;

    /// <summary>Agent name → the fake hosts it serves.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> HostsByAgent { get; }

    public IEnumerable<string> Agents => HostsByAgent.Keys;

    public string AgentOf(string hostName) => HostsByAgent.Single(a => a.Value.Contains(hostName)).Key;

    public bool IsRunning(string agent)
    {
        lock (_agents) return _agents.GetValueOrDefault(agent) is { ExitCode: null };
    }

    /// <summary>Migrates the database, starts the api and <paramref name="agents"/> agents of <paramref name="hostsPerAgent"/> hosts each.</summary>
    public static async Task<Fleet> StartAsync(string connectionString, string adminKey, int agents, int hostsPerAgent,
                                               IDictionary<string, string> settings, string workDir)
    {
        var environment = new Dictionary<string, string>(settings)
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["Iaas__BootstrapAdminKey"] = adminKey,
            ["Iaas__FakeDriver__RunsOnHosts"] = "true",
        };
        var hosts = Enumerable.Range(1, agents).ToDictionary(a => $"a{a}",
            a => (IReadOnlyList<string>)Enumerable.Range(1, hostsPerAgent).Select(h => $"f{a}-{h}").ToList());
        var fleet = new Fleet(environment, workDir, hosts);
        var (exit, output) = await ChildProcess.RunApiAsync(["migrate"], environment, workDir);
        if (exit != 0) throw new InvalidOperationException($"migrate failed:\n{output}");
        fleet.Api = await ChildProcess.StartApiAsync(new Dictionary<string, string>(environment) { ["Iaas__InProcessWorkers"] = "false" }, workDir);
        foreach (var agent in hosts.Keys) fleet.Start(agent);
        return fleet;
    }

    public string StateFile(string agent) => Path.Combine(_workDir, $"{agent}.json");

    /// <summary>Starts the agent unless it runs (safe to call from the campaign's restart tasks at once).</summary>
    public void Start(string agent)
    {
        lock (_agents)
        {
            if (_agents.GetValueOrDefault(agent) is { ExitCode: null }) return;
            _agents.GetValueOrDefault(agent)?.Dispose();
            _agents[agent] = StartAgent(agent);
        }
    }

    private ChildProcess StartAgent(string agent)
    {
        var environment = new Dictionary<string, string>(_environment)
        {
            ["Iaas__Workers__ServeControlQueue"] = "true",
            ["Iaas__FakeDriver__StateFile"] = StateFile(agent),
        };
        var hosts = HostsByAgent[agent];
        for (var i = 0; i < hosts.Count; i++) environment[$"Iaas__Workers__Hosts__{i}"] = hosts[i];
        return ChildProcess.StartWorkers(environment, _workDir);
    }

    /// <summary>SIGKILL: the agent dies mid-whatever; its hosts' VMs live on in its state file.</summary>
    public void Kill(string agent)
    {
        lock (_agents) _agents.GetValueOrDefault(agent)?.Crash();
    }

    /// <summary>Every VM the agents' models hold, by agent (read from their state files).</summary>
    public IReadOnlyList<(string Agent, FakeVm Vm)> Vms() =>
        Agents.Where(a => File.Exists(StateFile(a)))
            .SelectMany(a => (JsonSerializer.Deserialize<List<FakeVm>>(File.ReadAllText(StateFile(a))) ?? []).Select(vm => (a, vm)))
            .ToList();

    public string Output(string agent)
    {
        lock (_agents) return _agents.GetValueOrDefault(agent)?.Output() ?? "";
    }

    public void Dispose()
    {
        lock (_agents)
            foreach (var agent in _agents.Values) agent?.Dispose();
        Api?.Dispose();
    }
}
