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
    private readonly ConcurrentDictionary<string, int> _responses = new();
    private readonly ConcurrentQueue<string> _serverErrors = new();
    private readonly ConcurrentDictionary<string, string> _samples = new();

    public async ValueTask InitializeAsync() => _database = await TestPostgres.StartAsync();

    private static int Env(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;

    public static Dictionary<string, string> FastSettings() => new()
    {
        ["Iaas__Health__HeartbeatSeconds"] = "1",
        ["Iaas__Health__HostDownAfterSeconds"] = DownAfterSeconds.ToString(),
        ["Iaas__Health__ReconcileSeconds"] = "5",
        ["Iaas__Reconciler__IntervalSeconds"] = "2",
        ["Iaas__Reconciler__StuckAfterSeconds"] = "8",
        ["Iaas__Reconciler__MaxRedrives"] = "10",
        ["Iaas__Jobs__MaxAttempts"] = "8",
        ["Iaas__Jobs__RetryDelaysSeconds__0"] = "1", ["Iaas__Jobs__RetryDelaysSeconds__1"] = "1", ["Iaas__Jobs__RetryDelaysSeconds__2"] = "2",
        ["Iaas__Jobs__RetryDelaysSeconds__3"] = "2", ["Iaas__Jobs__RetryDelaysSeconds__4"] = "3",
        ["Iaas__Jobs__QueuePollIntervalMilliseconds"] = "100",
        ["Iaas__Jobs__SchedulePollingIntervalMilliseconds"] = "250",
        ["Iaas__Jobs__ServerHeartbeatSeconds"] = "1",
        ["Iaas__Jobs__InvisibilityTimeoutSeconds"] = "10",
        ["Iaas__Jobs__DistributedLockTimeoutSeconds"] = "10",
        ["Iaas__Migration__AgentTaskTimeoutSeconds"] = "4",
        ["Iaas__Migration__PollMilliseconds"] = "100",
        ["Iaas__FakeDriver__MigrationSpeedup"] = "4",
        ["Iaas__FakeDriver__SpawnMilliseconds"] = "300",
        ["Iaas__FakeDriver__DestroyMilliseconds"] = "100",
        ["Iaas__FakeDriver__PowerMilliseconds"] = "100",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    [Fact]
    public async Task AgentsKilledMidWork_LeaveNoLeakedAllocation_NoInstanceOnTwoHosts_AndEveryOperationTerminal()
    {
        var watch = Stopwatch.StartNew();
        _fleet = await Fleet.StartAsync(_database!.ConnectionString, AdminKey, agents: 3, hostsPerAgent: 2, FastSettings(), _workDir);
        var admin = _fleet.Api.Client(AdminKey);
        var cloud = await SeedAsync(admin);
        var random = new Random(Seed);

        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(i => Task.Run(() => LoadAsync(cloud, new Random(Seed + i), stop.Token))).ToList();
        load.Add(Task.Run(() => DrainsAsync(admin, cloud, new Random(Seed - 1), stop.Token)));
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
        var settled = await SettleAsync(TimeSpan.FromSeconds(Env("IAAS_FAULT_SETTLE_SECONDS", 150)));
        var report = await AssertInvariantsAsync(cloud);

        var lines = new StringBuilder();
        lines.AppendLine($"Worker kills: {Kills} SIGKILLs of 3 agents (seed {Seed}), ~{hostsDown} restarted after their hosts' {DownAfterSeconds} s down-after period.");
        lines.AppendLine($"Interrupted: {string.Join(", ", interrupted.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}.");
        lines.AppendLine($"Requests: {string.Join(", ", _responses.OrderBy(p => p.Key).Select(p => $"{p.Key} × {p.Value}"))}.");
        lines.AppendLine($"Load and kills {loaded.TotalSeconds:F0} s; settled {settled.TotalSeconds:F0} s later; whole run {watch.Elapsed.TotalSeconds:F0} s.");
        lines.Append(report);
        foreach (var (key, sample) in _samples.OrderBy(p => p.Key)) lines.AppendLine($"  e.g. {key}: {sample}");
        output.WriteLine(lines.ToString());
        WriteArtifact("worker-kills.txt", lines.ToString());
        Assert.True(_serverErrors.IsEmpty, $"5xx answers during the campaign:\n{string.Join("\n", _serverErrors.Take(10))}");
    }

    /// <summary>Two zones; every agent has one host in each, so moves within a zone cross agents.</summary>
    private async Task<FaultCloud> SeedAsync(HttpClient admin)
    {
        var region = await admin.PostOk("/v1/regions", new { name = "fault" });
        var zones = new List<Guid>();
        var pools = new Dictionary<Guid, Guid>();
        for (var z = 1; z <= 2; z++)
        {
            var zone = (await admin.PostOk("/v1/zones", new { name = $"fz{z}", regionId = region.Id() })).Id();
            zones.Add(zone);
            pools[zone] = (await admin.PostOk("/v1/storage-pools", new { name = $"pool{z}", zoneId = zone, capacityGiB = 5000 })).Id();
        }
        var hosts = new Dictionary<string, Guid>();
        foreach (var (agent, names) in _fleet!.HostsByAgent)
            for (var i = 0; i < names.Count; i++)
                hosts[names[i]] = (await admin.PostOk("/v1/hosts", new
                {
                    name = names[i], zoneId = zones[i % zones.Count], hypervisor = "fake",
                    capacity = new { vcpus = 24, memoryMiB = 49152, diskGiB = 500, networkMbps = 10000 },
                })).Id();
        var flavor = (await admin.PostOk("/v1/flavors", new { name = "fs", vcpus = 2, memoryMiB = 2048, diskGiB = 10 })).Id();
        var image = (await admin.PostOk("/v1/images", new { name = "fi", os = "debian", format = "qcow2", minDiskGiB = 1 })).Id();
        var plan = (await admin.PostOk("/v1/sla-plans", new
        {
            name = "fp", priority = 500, schemes = new[] { "immediate", "best-effort" }, preemptible = false, placementStrategy = "spread",
            availabilityTarget = 99.9, maxProvisioningSeconds = 300, pricePerHour = 0.1, penaltyPercent = 10,
        })).Id();
        (await admin.PatchAsJsonAsync($"/v1/sla-plans/{plan}", new { migrationPolicy = new { allowCold = true } })).EnsureSuccessStatusCode();
        var tenant = await admin.PostOk("/v1/tenants", new { name = "ft", quotas = new { instances = -1, vcpus = -1, memoryMiB = -1 } });
        var key = (await admin.PostOk($"/v1/tenants/{tenant.Id()}/api-keys", new { name = "fault" }))["key"]!.GetValue<string>();
        return new FaultCloud(zones, pools, hosts, flavor, image, plan, tenant.Id(), key);
    }

    /// <summary>One client's steady mix, like a busy tenant and its operator; refusals (409s) are expected, a 5xx never.</summary>
    private async Task LoadAsync(FaultCloud cloud, Random random, CancellationToken stop)
    {
        var tenant = _fleet!.Api.Client(cloud.TenantKey);
        var admin = _fleet.Api.Client(AdminKey);
        tenant.Timeout = admin.Timeout = TimeSpan.FromSeconds(30);
        var mine = new List<Guid>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // About six instances per client (half the cloud's capacity in all), so there is room to move them.
                var roll = mine.Count < 4 ? 0 : mine.Count > 8 ? 0.2 : random.NextDouble();
                var vm = mine.Count > 0 ? mine[random.Next(mine.Count)] : Guid.Empty;
                if (roll < 0.15)
                {
                    var zone = cloud.Zones[random.Next(cloud.Zones.Count)];
                    var body = new { name = $"f{random.Next(10000)}", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = zone };
                    var created = await SendAsync(tenant.PostAsJsonAsync("/v1/instances", body, CancellationToken.None), "create");
                    if (created?["id"] is { } id) mine.Add(id.GetValue<Guid>());
                }
                else if (roll < 0.3)
                {
                    if (await SendAsync(tenant.DeleteAsync($"/v1/instances/{vm}", CancellationToken.None), "delete") is not null) mine.Remove(vm);
                }
                else if (roll < 0.48)
                {
                    var status = (await SendAsync(tenant.GetAsync($"/v1/instances/{vm}", CancellationToken.None), "get"))?["status"]?.GetValue<string>();
                    if (status is "running" or "stopped")
                        await SendAsync(tenant.PostAsync($"/v1/instances/{vm}/actions/{(status == "running" ? "stop" : "start")}", null, CancellationToken.None), "power");
                }
                else if (roll < 0.72) await SendAsync(admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "live" }, CancellationToken.None), "live");
                else if (roll < 0.84) await SendAsync(admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "cold" }, CancellationToken.None), "cold");
                else if (roll < 0.92)
                {
                    var instance = await SendAsync(admin.GetAsync($"/v1/instances/{vm}", CancellationToken.None), "get");
                    if (instance?["zoneId"]?.GetValue<Guid>() is { } zone && instance["storagePoolId"] is null)
                        await SendAsync(admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "storage", targetPoolId = cloud.Pools[zone] },
                            CancellationToken.None), "storage");
                }
                await Task.Delay(100 + random.Next(200), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>Now and then an operator drains a host and brings it back.</summary>
    private async Task DrainsAsync(HttpClient admin, FaultCloud cloud, Random random, CancellationToken stop)
    {
        var hosts = cloud.Hosts.Values.ToList();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(4000 + random.Next(3000), stop);
                var host = hosts[random.Next(hosts.Count)];
                await SendAsync(admin.PostAsync($"/v1/hosts/{host}/actions/enter-maintenance", null, CancellationToken.None), "drain");
                await Task.Delay(3000 + random.Next(4000), stop);
                await SendAsync(admin.PostAsync($"/v1/hosts/{host}/actions/exit-maintenance", null, CancellationToken.None), "undrain");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
    }

    private async Task<JsonObject?> SendAsync(Task<HttpResponseMessage> request, string what)
    {
        HttpResponseMessage response;
        try
        {
            response = await request;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            _responses.AddOrUpdate($"{what} no answer", 1, (_, n) => n + 1);
            _serverErrors.Enqueue($"{what}: no answer ({ex.GetType().Name})");
            return null;
        }
        var code = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        var slug = code >= 400 && text.StartsWith('{') ? JsonNode.Parse(text)?["type"]?.GetValue<string>()?.Split('/')[^1] : null;
        _responses.AddOrUpdate($"{what} {code}{(slug is null ? "" : $" {slug}")}", 1, (_, n) => n + 1);
        if (slug is not null) _samples.TryAdd($"{what} {slug}", text.Length > 400 ? text[..400] : text);
        if (code >= 500) _serverErrors.Enqueue($"{what} {code}: {text}");
        return response.IsSuccessStatusCode && text.StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : null;
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
            await using var db = Db();
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

    /// <summary>Waits until nothing is in flight: no running operation, no live migration, no host down or draining.</summary>
    private async Task<TimeSpan> SettleAsync(TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            await using var db = Db();
            var running = await db.Operations.AsNoTracking().Where(o => o.Status == OperationStatus.Running).Select(o => o.Kind).ToListAsync();
            var migrating = await db.Migrations.CountAsync(m => m.Status == MigrationStatus.Queued || m.Status == MigrationStatus.Running);
            var unsettledHosts = await db.Hosts.CountAsync(h => h.State != HostState.Enabled);
            var transitional = (await db.Instances.AsNoTracking().Select(i => i.Status).ToListAsync()).Count(InstanceTransitions.IsTransitional);
            if (running.Count == 0 && migrating == 0 && unsettledHosts == 0 && transitional == 0) return watch.Elapsed;
            if (watch.Elapsed > limit)
                throw new TimeoutException($"Not settled after {limit.TotalSeconds:0} s: running operations {string.Join(", ", running.GroupBy(k => k).Select(g => $"{g.Key} × {g.Count()}"))}; " +
                                           $"{migrating} migration(s) live, {unsettledHosts} host(s) not enabled, {transitional} instance(s) in transition.\n" +
                                           string.Join("\n", _fleet!.Agents.Select(a => $"--- {a}\n{Tail(_fleet.Output(a))}")));
            await Task.Delay(500);
        }
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(15));

    /// <summary>The campaign's invariants, from the database and from the agents' own models.</summary>
    private async Task<string> AssertInvariantsAsync(FaultCloud cloud)
    {
        await using var db = Db();
        var hosts = await db.Hosts.AsNoTracking().ToListAsync();
        var instances = await db.Instances.AsNoTracking().ToListAsync();
        var problems = new List<string>();

        // Every host's counters are the sum of the instances it holds.
        foreach (var host in hosts)
        {
            var on = instances.Where(i => i.HostId == host.Id).ToList();
            var sum = on.Aggregate(Domain.Common.Resources.Zero, (s, i) => s + i.Resources);
            if (host.Allocated != sum || host.InstanceCount != on.Count)
                problems.Add($"host {host.Name}: allocated {host.Allocated} in {host.InstanceCount}, its instances hold {sum} in {on.Count}");
        }
        // Every tenant's usage is the sum of its instances that count.
        foreach (var tenant in await db.Tenants.AsNoTracking().ToListAsync())
        {
            var counted = instances.Where(i => i.TenantId == tenant.Id && i.QuotaClaimed).ToList();
            var usage = new Domain.Tenancy.Usage(counted.Count, counted.Sum(i => i.Resources.Vcpus), counted.Sum(i => i.Resources.MemoryMiB));
            if (tenant.Usage != usage) problems.Add($"tenant {tenant.Name}: usage {tenant.Usage}, its instances {usage}");
        }
        // Every instance's status is where its audit trail ends.
        var lastActions = await db.InstanceActions.AsNoTracking().GroupBy(a => a.InstanceId)
            .Select(g => new { g.Key, To = g.OrderByDescending(a => a.Id).Select(a => a.ToStatus).First() }).ToDictionaryAsync(x => x.Key, x => x.To);
        foreach (var i in instances.Where(i => lastActions.GetValueOrDefault(i.Id) != i.Status))
            problems.Add($"instance {i.Id} is {i.Status}; its trail ends at {lastActions.GetValueOrDefault(i.Id)}");
        // No instance on two hosts, and each placed one exactly where the database says, as it says.
        var vms = _fleet!.Vms().Where(v => v.Vm.HostId != Guid.Empty).ToList();
        foreach (var twice in vms.GroupBy(v => v.Vm.InstanceId).Where(g => g.Count() > 1))
            problems.Add($"instance {twice.Key} runs on {twice.Count()} hosts: {string.Join(", ", twice.Select(v => v.Vm.HostId))}");
        var byId = vms.GroupBy(v => v.Vm.InstanceId).ToDictionary(g => g.Key, g => g.First().Vm);
        foreach (var i in instances)
        {
            var vm = byId.GetValueOrDefault(i.Id);
            switch (i.Status)
            {
                // On a host: its VM is there, and only there, in the same power state.
                case InstanceStatus.Running or InstanceStatus.Stopped when i.HostId is not null
                                                                           && (vm is null || vm.HostId != i.HostId
                                                                               || vm.Power != (i.Status == InstanceStatus.Running ? VmPowerState.Running : VmPowerState.Shutoff)):
                    problems.Add($"instance {i.Id} is {i.Status} on {i.HostId}; the agents hold {(vm is null ? "no VM" : $"{vm.Power} on {vm.HostId}")}");
                    break;
                // On no host (deleted, waiting, evacuated while stopped): no VM of it on any host (stale copies are fenced).
                case not InstanceStatus.Error when i.HostId is null && vm is not null:
                    problems.Add($"instance {i.Id} is {i.Status} on no host; a VM of it is on {vm.HostId}");
                    break;
            }
        }
        var byStatus = string.Join(", ", instances.GroupBy(i => i.Status).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"));
        var operations = await db.Operations.AsNoTracking().GroupBy(o => new { o.Kind, o.Status }).Select(g => new { g.Key.Kind, g.Key.Status, N = g.Count() }).ToListAsync();
        var migrations = await db.Migrations.AsNoTracking().GroupBy(m => new { m.Type, m.Status }).Select(g => new { g.Key.Type, g.Key.Status, N = g.Count() }).ToListAsync();
        var whyFailed = (await db.Migrations.AsNoTracking().Where(m => m.Status == MigrationStatus.Failed).Select(m => new { m.Type, m.Reason }).ToListAsync())
            .GroupBy(m => $"{m.Type.ToString().ToLowerInvariant()}: {(m.Reason.Length > 90 ? m.Reason[..90] + "…" : m.Reason)}")
            .OrderByDescending(g => g.Count()).Select(g => $"  {g.Count()} × {g.Key}");
        Assert.True(problems.Count == 0, $"{problems.Count} invariant(s) broken:\n{string.Join("\n", problems.Take(30))}");
        return $"Instances: {instances.Count} ({byStatus}); VMs the agents hold: {vms.Count}.\n"
               + $"Operations: {string.Join(", ", operations.OrderBy(o => o.Kind).ThenBy(o => o.Status).Select(o => $"{o.Kind} {o.Status.ToString().ToLowerInvariant()} {o.N}"))}.\n"
               + $"Migrations: {string.Join(", ", migrations.OrderBy(m => m.Type).ThenBy(m => m.Status).Select(m => $"{m.Type.ToString().ToLowerInvariant()} {m.Status.ToString().ToLowerInvariant()} {m.N}"))}.\n"
               + $"Failed migrations, why:\n{string.Join("\n", whyFailed)}\n"
               + $"Invariants: 0 leaked allocations over {hosts.Count} hosts, 0 instances on two hosts, 0 running operations, every status its trail's end, usage = instances.\n";
    }

    private PostgresDbContext Db() =>
        new(new DbContextOptionsBuilder<PostgresDbContext>().UsePostgres(_database!.ConnectionString).Options, TimeProvider.System);

    private static void WriteArtifact(string name, string text)
    {
        if (ChildProcess.RepoRoot() is not { } root) return;
        var dir = Path.Combine(root, "artifacts", "reliability");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name), text);
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
