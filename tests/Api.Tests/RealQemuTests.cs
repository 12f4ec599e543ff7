using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// A real VM through the REST API, in the production layout: the api (placing, enqueueing) and one agent per qemu host
/// (src/Workers serving h-&lt;host&gt; and running the qemu driver, each with its own state directory) as separate
/// processes on PostgreSQL; only the zone's pool and the saved-VM store are shared. The VM is the tiny test guest
/// (scripts/build-guest.sh) under QEMU/TCG. It boots, stops, starts, live-migrates to the other host with its local
/// disk going across over NBD (the two agents meeting through jobs on each other's queues), cold-migrates back, moves
/// its disk onto the pool while it runs, live-migrates again on shared storage, and is deleted. Skipped, saying why,
/// where QEMU or the guest is missing.
/// </summary>
public sealed class RealQemuTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "iaas_real-qemu-test-key-0123456789abcdef";
    private readonly string _workDir = Directory.CreateTempSubdirectory("iaas-qemu-e2e-").FullName;
    private TestPostgres? _database;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    private string State(string host) => Path.Combine(_workDir, $"agent-{host}", "state", host);

    [Fact]
    public async Task ARealVm_Boots_Stops_Starts_MigratesBetweenTwoAgents_AndIsDeleted_ThroughTheApi()
    {
        var guest = Environment.GetEnvironmentVariable("IAAS_TEST_GUEST") ?? Path.Combine(Path.GetTempPath(), "iaas-guest");
        Assert.SkipUnless(IaasApi.Infrastructure.Hypervisors.Qemu.QemuProcess.IsInstalled(), "Skipped: qemu-system-x86_64 is not installed (see docs/qemu.md).");
        Assert.SkipUnless(File.Exists(Path.Combine(guest, "vmlinux")), $"Skipped: no test guest in {guest} (scripts/build-guest.sh builds it).");

        _database = await TestPostgres.StartAsync();
        var images = Path.Combine(_workDir, "images", "tiny");
        Directory.CreateDirectory(images);
        foreach (var file in new[] { "vmlinux", "initrd.gz" }) File.CreateSymbolicLink(Path.Combine(images, file), Path.Combine(guest, file));
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = _database.ConnectionString,
            ["Iaas__BootstrapAdminKey"] = AdminKey,
            ["Iaas__Qemu__Enabled"] = "true",
            ["Iaas__Qemu__ImageDirectory"] = Path.Combine(_workDir, "images"),
            ["Iaas__Qemu__PoolDirectory"] = Path.Combine(_workDir, "pools"),
            ["Iaas__Qemu__SaveDirectory"] = Path.Combine(_workDir, "saved"),
            ["Iaas__Jobs__RetryDelaysSeconds__0"] = "1",
            ["Iaas__Migration__PollMilliseconds"] = "50",
        };
        Assert.Equal(0, (await ChildProcess.RunApiAsync(["migrate"], environment, _workDir)).ExitCode);
        using var api = await ChildProcess.StartApiAsync(new Dictionary<string, string>(environment) { ["Iaas__InProcessWorkers"] = "false" }, _workDir);
        var admin = api.Client(AdminKey);
        var region = await admin.PostOk("/v1/regions", new { name = "r1" });
        var zone = await admin.PostOk("/v1/zones", new { name = "z1", regionId = region.Id() });
        var host = await admin.PostOk("/v1/hosts", new { name = "qemu-a", zoneId = zone.Id(), hypervisor = "qemu",
                                                         capacity = new { vcpus = 2, memoryMiB = 1024, diskGiB = 10, networkMbps = 1000 } });
        var flavor = await admin.PostOk("/v1/flavors", new { name = "tiny", vcpus = 1, memoryMiB = 128, diskGiB = 1 });
        var image = await admin.PostOk("/v1/images", new { name = "tiny", os = "busybox", format = "raw", minDiskGiB = 1 });
        var plan = await admin.PostOk("/v1/sla-plans", new { name = "p1" });
        var tenant = await admin.PostOk("/v1/tenants", new { name = "t1" });
        var body = new { name = "real-1", flavorId = flavor.Id(), imageId = image.Id(), slaPlanId = plan.Id(), tenantId = tenant.Id() };

        // One agent per host, each with its own state directory (its host's local disks); qemu-a's also serves the control queue.
        ChildProcess Agent(string name, bool control) => ChildProcess.StartWorkers(new Dictionary<string, string>(environment)
        {
            ["Iaas__Workers__Hosts__0"] = name, ["Iaas__Workers__ServeControlQueue"] = control ? "true" : "false",
            ["Iaas__Qemu__StateDirectory"] = Path.Combine(_workDir, $"agent-{name}", "state"),
        }, _workDir);
        using var agentA = Agent("qemu-a", control: true);
        using var agentB = Agent("qemu-b", control: false);
        ChildProcess? restarted = null;
        string Logs() => $"qemu-a's agent:\n{agentA.Output()}\nqemu-b's agent:\n{agentB.Output()}\n{restarted?.Output()}";

        var vm = (await (await admin.PostAsJsonAsync("/v1/instances", body)).ExpectAsync(HttpStatusCode.Accepted)).Id();
        await admin.WaitForStatusAsync(vm, "running", timeoutMs: 60000);
        var serial = Path.Combine(State("qemu-a"), vm.ToString(), "serial.log");
        await WaitForAsync(() => File.Exists(serial) && File.ReadAllText(serial).Contains("HB 1"), "the guest's first heartbeat", Logs);
        var reported = await admin.GetJson($"/v1/hosts/{host.Id()}");
        Assert.NotNull(reported["lastHeartbeatAt"]);                              // the agent reports its host alive
        Assert.Equal(Environment.ProcessorCount, reported["reported"]!["vcpus"]!.GetValue<int>());   // and the hardware it sees
        Assert.True(reported["reported"]!["memoryMiB"]!.GetValue<int>() > 1024);

        (await admin.PostAsync($"/v1/instances/{vm}/actions/stop", null)).EnsureSuccessStatusCode();
        await admin.WaitForStatusAsync(vm, "stopped", timeoutMs: 30000);
        Assert.True(File.Exists(Path.Combine(State("qemu-a"), vm.ToString(), "disk.qcow2")));
        (await admin.PostAsync($"/v1/instances/{vm}/actions/start", null)).EnsureSuccessStatusCode();
        await admin.WaitForStatusAsync(vm, "running", timeoutMs: 30000);
        await WaitForAsync(() => File.Exists(serial) && File.ReadAllText(serial).Contains("HB 2"), "a heartbeat after the start", Logs);

        // Live migration to the second host, whose agent is another process with its own disks: the local disk goes
        // across over NBD while the guest runs, then the memory; the guest carries on there.
        var other = await admin.PostOk("/v1/hosts", new { name = "qemu-b", zoneId = zone.Id(), hypervisor = "qemu",
                                                          capacity = new { vcpus = 2, memoryMiB = 1024, diskGiB = 10, networkMbps = 1000 } });
        var migration = await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "live" })).ExpectAsync(HttpStatusCode.Accepted);
        var done = await WaitForMigrationAsync(admin, migration.Id(), Logs);
        Assert.Equal("completed", done.Str("status"));
        Assert.Equal(["pre-migration", "reservation", "pre-copy", "stop-and-copy", "commitment", "activation"],
                     done["stages"]!.AsArray().Select(x => x!.Str("stage")).ToArray());
        Assert.NotEmpty(done["rounds"]!.AsArray());
        Assert.NotNull(done["downtimeMs"]);
        Assert.True(done["diskTotalMiB"]!.GetValue<double>() > 0);                 // the local disk was mirrored first
        output.WriteLine($"live migration with its local disk: {Duration(done):F0} ms from the first stage to completed, downtime {done["downtimeMs"]} ms, " +
                         $"{done["rounds"]!.AsArray().Count} round(s), disk {done["diskTotalMiB"]} MiB");
        Assert.Equal(other.Id(), (await admin.GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>());
        var moved = Path.Combine(State("qemu-b"), vm.ToString(), "serial.log");
        await WaitForAsync(() => File.Exists(moved) && File.ReadAllText(moved).Contains("HB "), "a heartbeat on the destination", Logs);
        Assert.False(Directory.Exists(Path.Combine(State("qemu-a"), vm.ToString())));
        Assert.True(File.Exists(Path.Combine(State("qemu-b"), vm.ToString(), "disk.qcow2")));

        // Cold migration back: stopped, its disk copied into qemu-a's NBD export, registered on qemu-a, started there.
        var cold = await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "cold" })).ExpectAsync(HttpStatusCode.Accepted);
        var back = await WaitForMigrationAsync(admin, cold.Id(), Logs);
        Assert.Equal("completed", back.Str("status"));
        output.WriteLine($"cold migration: {back["diskTotalMiB"]} MiB copied, {back["downtimeMs"]} ms off");
        Assert.Equal((host.Id(), "running"), ((await admin.GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>(),
                                              (await admin.GetJson($"/v1/instances/{vm}")).Str("status")));
        var home = Path.Combine(State("qemu-a"), vm.ToString(), "serial.log");
        await WaitForAsync(() => File.Exists(home) && File.ReadAllText(home).Contains("HB 1"), "a heartbeat back on qemu-a", Logs);
        Assert.False(Directory.Exists(Path.Combine(State("qemu-b"), vm.ToString())));

        // A snapshot with its memory, then a restore to it: the guest's heartbeat counter goes back to that instant.
        var snapshot = await (await admin.PostAsJsonAsync("/v1/snapshots", new { instanceId = vm, name = "checkpoint" })).ExpectAsync(HttpStatusCode.Accepted);
        await admin.WaitForOperationAsync(snapshot["operationId"]!.GetValue<Guid>(), timeoutMs: 60000);
        var taken = await admin.GetJson($"/v1/snapshots/{snapshot.Id()}");
        Assert.Equal(("available", true), (taken.Str("status"), taken["includesMemory"]!.GetValue<bool>()));
        var atSnapshot = Heartbeats(home).Last;
        await WaitForAsync(() => Heartbeats(home).Last >= atSnapshot + 3, "three heartbeats after the snapshot", Logs);
        (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/restore", new { snapshotId = snapshot.Id() })).EnsureSuccessStatusCode();
        await admin.WaitForStatusAsync(vm, "running", timeoutMs: 60000);
        await WaitForAsync(() => Heartbeats(home).Count >= 1, "a heartbeat after the restore", Logs);
        Assert.True(Heartbeats(home).Last <= atSnapshot + 2, $"restored to about HB {atSnapshot}, now at HB {Heartbeats(home).Last}");
        output.WriteLine($"snapshot with memory: {taken["sizeMiB"]} MiB at HB {atSnapshot}; restored, the guest went on from HB {Heartbeats(home).Last}");

        // Live storage migration: its disk mirrored into the zone's pool while it runs, then pivoted.
        var pool = await admin.PostOk("/v1/storage-pools", new { name = "fast", zoneId = zone.Id(), capacityGiB = 10 });
        var storage = await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "storage", targetPoolId = pool.Id() }))
            .ExpectAsync(HttpStatusCode.Accepted);
        var mirrored = await WaitForMigrationAsync(admin, storage.Id(), Logs);
        Assert.Equal("completed", mirrored.Str("status"));
        var pooledDisk = Path.Combine(_workDir, "pools", "fast", $"{vm}.qcow2");
        Assert.True(File.Exists(pooledDisk));
        Assert.False(File.Exists(Path.Combine(State("qemu-a"), vm.ToString(), "disk.qcow2")));
        Assert.Equal((0, 1), ((await admin.GetJson($"/v1/hosts/{host.Id()}"))["allocated"]!["diskGiB"]!.GetValue<int>(),
                              (await admin.GetJson($"/v1/storage-pools/{pool.Id()}"))["allocatedGiB"]!.GetValue<int>()));
        Assert.Equal("running", (await admin.GetJson($"/v1/instances/{vm}")).Str("status"));

        // Live again, now on shared storage: only the memory crosses; qemu-b opens the pool's file.
        var shared = await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "live" })).ExpectAsync(HttpStatusCode.Accepted);
        var sharedDone = await WaitForMigrationAsync(admin, shared.Id(), Logs);
        Assert.Equal("completed", sharedDone.Str("status"));
        Assert.Null(sharedDone["diskTotalMiB"]);
        output.WriteLine($"live migration on shared storage: {Duration(sharedDone):F0} ms, downtime {sharedDone["downtimeMs"]} ms");
        var onB = Path.Combine(State("qemu-b"), vm.ToString(), "serial.log");
        await WaitForAsync(() => File.Exists(onB) && File.ReadAllText(onB).Contains("HB "), "a heartbeat on qemu-b from the pool's disk", Logs);
        Assert.True(File.Exists(pooledDisk));

        // qemu-b's agent crashes (its VMs live on); meanwhile the VM's QEMU dies and someone starts a VM by hand there. The
        // restarted agent reconciles: the instance reads stopped (found shut off), the stranger is reported, not touched.
        agentB.Crash();
        using (var qemu = IaasApi.Infrastructure.Hypervisors.Qemu.QemuProcess.LiveQemuOf(Path.Combine(State("qemu-b"), vm.ToString())))
        {
            qemu!.Kill();
            qemu.WaitForExit(5000);
        }
        var stranger = Guid.NewGuid();
        await using (var byHand = new IaasApi.Infrastructure.Hypervisors.Qemu.QemuDriver(new IaasApi.Infrastructure.Hypervisors.Qemu.QemuOptions
        {
            StateDirectory = Path.Combine(_workDir, "agent-qemu-b", "state"), ImageDirectory = Path.Combine(_workDir, "images"),
        }, Microsoft.Extensions.Logging.Abstractions.NullLogger<IaasApi.Infrastructure.Hypervisors.Qemu.QemuDriver>.Instance))
        {
            await byHand.SpawnAsync(new IaasApi.Domain.Hypervisors.HostRef(other.Id(), "qemu-b", "qemu"),
                new IaasApi.Domain.Hypervisors.InstanceSpec(stranger, "by-hand", new IaasApi.Domain.Common.Resources(1, 128, 1, 0), null, "tiny", null), default);
        }
        using var agentB2 = restarted = Agent("qemu-b", control: false);
        await admin.WaitForStatusAsync(vm, "stopped", timeoutMs: 60000);
        Assert.Contains((await admin.GetJson($"/v1/instances/{vm}/actions"))["items"]!.AsArray(), a => a!.Str("action") == "found-stopped");
        var report = (await admin.GetJson($"/v1/hosts/{other.Id()}"))["reported"]!;
        Assert.Equal([stranger], report["unmanagedVms"]!.AsArray().Select(x => x!.GetValue<Guid>()).ToArray());
        Assert.True(File.Exists(Path.Combine(State("qemu-b"), stranger.ToString(), "qemu.pid")));     // reported, not destroyed
        (await admin.PostAsync($"/v1/instances/{vm}/actions/start", null)).EnsureSuccessStatusCode();
        await admin.WaitForStatusAsync(vm, "running", timeoutMs: 60000);
        using (var byHand = IaasApi.Infrastructure.Hypervisors.Qemu.QemuProcess.LiveQemuOf(Path.Combine(State("qemu-b"), stranger.ToString()))) byHand?.Kill();

        (await admin.DeleteAsync($"/v1/instances/{vm}")).EnsureSuccessStatusCode();
        await admin.WaitForStatusAsync(vm, "deleted", timeoutMs: 30000);
        Assert.False(Directory.Exists(Path.Combine(State("qemu-b"), vm.ToString())));
        Assert.Equal(0, (await admin.GetJson($"/v1/storage-pools/{pool.Id()}"))["allocatedGiB"]!.GetValue<int>());
        Assert.False(File.Exists(pooledDisk));                                    // its disk on the pool went with it
        Assert.Null(agentA.ExitCode);
        Assert.Null(agentB2.ExitCode);
    }

    /// <summary>The guest's heartbeats on a serial log so far (<c>HB n</c> lines), and the last n.</summary>
    private static (int Count, int Last) Heartbeats(string serialLog) => IaasApi.Infrastructure.Hypervisors.Qemu.QemuProcess.HeartbeatsIn(serialLog);

    private static double Duration(System.Text.Json.Nodes.JsonObject migration) =>
        (migration["endedAt"]!.GetValue<DateTimeOffset>() - migration["startedAt"]!.GetValue<DateTimeOffset>()).TotalMilliseconds;

    private static async Task<System.Text.Json.Nodes.JsonObject> WaitForMigrationAsync(HttpClient admin, Guid id, Func<string> logs)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var m = await admin.GetJson($"/v1/migrations/{id}");
            if (m.Str("status") is "completed" or "failed" or "cancelled") return m;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Migration still {m.Str("status")}: {m.ToJsonString()}\n{logs()}");
            await Task.Delay(200);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, Func<string> logs)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No {what} within 60 s. Agents' output:\n{logs()}");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The agents' QEMU processes died with them; an NBD server (forked off) is ended by its pid file.
        foreach (var pidFile in Directory.Exists(_workDir) ? Directory.EnumerateFiles(_workDir, "*.pid", SearchOption.AllDirectories) : [])
            using (var left = IaasApi.Infrastructure.Hypervisors.Qemu.QemuProcess.LiveQemuOf(Path.GetDirectoryName(pidFile)!, Path.GetFileName(pidFile)))
                left?.Kill();
        if (_database is not null) await _database.DisposeAsync();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }
}
