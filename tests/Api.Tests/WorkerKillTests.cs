using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Api.Tests;

/// <summary>
/// The fault suite's worker kills (docs/reliability.md): the production layout (api + three agents of fake hosts, which
/// also serve the control queue) on PostgreSQL, under a steady mix of creates, deletes, stops and starts, live, cold and
/// storage migrations and drains, while agents are SIGKILLed in the middle of that work — each chosen because it is
/// carrying one kind of work at that moment — and restarted after a random delay (some long enough for their hosts to be
/// declared down and evacuated). Then, settled: no leaked allocation (every host's counters are the sum of its
/// instances), no instance on two hosts (the agents' own models against the database), every operation terminal,
/// every instance's status the end of its audit trail, every tenant's usage the sum of its instances.
/// CI runs a short campaign (<c>IAAS_FAULT_KILLS</c>, default 8); operators run it long (50).
/// </summary>
public sealed class WorkerKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "iaas_fault-suite-admin-key-0123456789abcdef";
    private static readonly int Kills = Env("IAAS_FAULT_KILLS", 8);
    private static readonly int Seed = Env("IAAS_FAULT_SEED", 20261206);
    private const int DownAfterSeconds = 6;

    private static readonly string[] Targets = ["instance.create", "instance.delete", "live", "cold", "storage", "host.drain", "instance.resume"];

    private readonly string _workDir = Directory.CreateTempSubdirectory("iaas-faults-").FullName;
    private TestPostgres? _database;
    private Fleet? _fleet;

    public async ValueTask InitializeAsync() => _database = await TestPostgres.StartAsync();

    private static int Env(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;

    [Fact]
    public async Task AgentsKilledMidWork_LeaveNoLeakedAllocation_NoInstanceOnTwoHosts_AndEveryOperationTerminal()
    {
        var watch = Stopwatch.StartNew();
        _fleet = await Fleet.StartAsync(_database!.ConnectionString, AdminKey, agents: 3, hostsPerAgent: 2, FaultLoad.FastSettings(DownAfterSeconds), _workDir);
        var admin = _fleet.Api.Client(AdminKey);
        var traffic = new FaultLoad(_fleet, AdminKey, TimeSpan.FromSeconds(30));
        var cloud = await traffic.SeedAsync(admin);
        var random = new Random(Seed);

        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(i => Task.Run(() => traffic.ClientAsync(cloud, new Random(Seed + i), stop.Token))).ToList();
        load.Add(Task.Run(() => traffic.DrainsAsync(cloud, new Random(Seed - 1), stop.Token)));
        var interrupted = new Dictionary<string, int>();
        var restarts = new List<Task>();
        var hostsDown = 0;
        await Task.Delay(3000);                                                   // some work in flight before the first kill
        for (var k = 0; k < Kills; k++)
        {
            var (agent, what) = await ChooseVictimAsync(Targets[k % Targets.Length], random);
            _fleet.Kill(agent);
            interrupted[what] = interrupted.GetValueOrDefault(what) + 1;
            // Back after a random delay: often before its hosts are declared down, sometimes well after (evacuation, fencing).
            var delay = TimeSpan.FromSeconds(0.5 + random.NextDouble() * 1.8 * DownAfterSeconds);
            if (delay.TotalSeconds > DownAfterSeconds + 1) hostsDown++;
            restarts.Add(Task.Run(async () => { await Task.Delay(delay); _fleet.Start(agent); }));
            await Task.Delay(TimeSpan.FromSeconds(3 + random.NextDouble() * 3));
        }
        while (watch.Elapsed < TimeSpan.FromSeconds(Env("IAAS_FAULT_MIN_LOAD_SECONDS", 30))) await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(load);
        await Task.WhenAll(restarts);
        foreach (var agent in _fleet.Agents) _fleet.Start(agent);
        var loaded = watch.Elapsed;

        foreach (var host in cloud.Hosts.Values)
            await admin.PostAsync($"/v1/hosts/{host}/actions/exit-maintenance", null);
        var settled = await FleetChecks.SettleAsync(_database.ConnectionString, _fleet, TimeSpan.FromSeconds(Env("IAAS_FAULT_SETTLE_SECONDS", 150)));
        var report = await FleetChecks.AssertInvariantsAsync(_database.ConnectionString, _fleet);

        var lines = new StringBuilder();
        lines.AppendLine($"Worker kills: {Kills} SIGKILLs of 3 agents (seed {Seed}), ~{hostsDown} restarted after their hosts' {DownAfterSeconds} s down-after period.");
        lines.AppendLine($"Interrupted: {string.Join(", ", interrupted.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}.");
        lines.AppendLine($"Requests: {traffic.Summary()}.");
        lines.AppendLine($"Load and kills {loaded.TotalSeconds:F0} s; settled {settled.TotalSeconds:F0} s later; whole run {watch.Elapsed.TotalSeconds:F0} s.");
        lines.Append(report);
        foreach (var (key, sample) in traffic.Samples.OrderBy(p => p.Key)) lines.AppendLine($"  e.g. {key}: {sample}");
        output.WriteLine(lines.ToString());
        FleetChecks.WriteArtifact("worker-kills.txt", lines.ToString());
        Assert.True(traffic.ServerErrors.IsEmpty, $"5xx answers during the campaign:\n{string.Join("\n", traffic.ServerErrors.Take(10))}");
    }

    /// <summary>
    /// An agent carrying work of the wanted kind right now (an operation running on one of its hosts' queues, the source
    /// of a migration of that type, a drain under way), else one carrying anything, else any running agent — never the
    /// last one running.
    /// </summary>
    private async Task<(string Agent, string What)> ChooseVictimAsync(string wanted, Random random)
    {
        var alive = _fleet!.Agents.Where(_fleet.IsRunning).ToList();
        if (alive.Count <= 1)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (_fleet.Agents.Count(_fleet.IsRunning) < 2 && DateTime.UtcNow < deadline) await Task.Delay(200);
            alive = _fleet.Agents.Where(_fleet.IsRunning).ToList();
        }
        var until = DateTime.UtcNow.AddSeconds(4);
        while (DateTime.UtcNow < until)
        {
            await using var db = FleetChecks.Db(_database!.ConnectionString);
            var hostNames = await db.Hosts.AsNoTracking().ToDictionaryAsync(h => h.Id, h => h.Name);
            string? host = null;
            if (wanted is "live" or "cold" or "storage")
            {
                var type = Enum.Parse<MigrationType>(wanted, ignoreCase: true);
                var source = await db.Migrations.AsNoTracking().Where(m => m.Status == MigrationStatus.Running && m.Type == type)
                    .Select(m => (Guid?)m.SourceHostId).FirstOrDefaultAsync();
                host = source is { } s ? hostNames.GetValueOrDefault(s) : null;
            }
            else if (wanted == "host.drain")
            {
                if (await db.Operations.AnyAsync(o => o.Kind == OperationKinds.HostDrain && o.Status == OperationStatus.Running))
                    return (alive[random.Next(alive.Count)], wanted);              // the drain runs on the control queue: any agent may carry it
            }
            else
            {
                var queue = await db.Operations.AsNoTracking()
                    .Where(o => o.Kind == wanted && o.Status == OperationStatus.Running && o.Queue != null && o.Queue.StartsWith("h-"))
                    .Select(o => o.Queue).FirstOrDefaultAsync();
                host = queue?["h-".Length..];
            }
            if (host is not null && alive.Contains(_fleet.AgentOf(host))) return (_fleet.AgentOf(host), wanted);
            await Task.Delay(100);
        }
        return (alive[random.Next(alive.Count)], "other");
    }

    public async ValueTask DisposeAsync()
    {
        _fleet?.Dispose();
        if (_database is not null) await _database.DisposeAsync();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }

    private sealed record FaultCloud(IReadOnlyList<Guid> Zones, IReadOnlyDictionary<Guid, Guid> Pools, IReadOnlyDictionary<string, Guid> Hosts,
                                     Guid FlavorId, Guid ImageId, Guid PlanId, Guid TenantId, string TenantKey);
}
