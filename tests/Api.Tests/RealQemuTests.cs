using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// A real VM through the REST API, in the production layout: the api (placing, enqueueing) and the agent of a qemu
/// host (src/Workers serving h-&lt;host&gt; and running the qemu driver) as separate processes on PostgreSQL. The VM is
/// the tiny test guest (scripts/build-guest.sh) under QEMU/TCG. Skipped, saying why, where QEMU or the guest is missing.
/// </summary>
public sealed class RealQemuTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "iaas_real-qemu-test-key-0123456789abcdef";
    private readonly string _workDir = Directory.CreateTempSubdirectory("iaas-qemu-e2e-").FullName;
    private TestPostgres? _database;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task ARealVm_Boots_Stops_Starts_AndIsDeleted_ThroughTheApi()
    {
        var guest = Environment.GetEnvironmentVariable("IAAS_TEST_GUEST") ?? Path.Combine(Path.GetTempPath(), "iaas-guest");
        Assert.SkipUnless(IaasApi.Infrastructure.Hypervisors.Qemu.QemuProcess.IsInstalled(), "Skipped: qemu-system-x86_64 is not installed (see docs/qemu.md).");
        Assert.SkipUnless(File.Exists(Path.Combine(guest, "vmlinux")), $"Skipped: no test guest in {guest} (scripts/build-guest.sh builds it).");

        _database = await TestPostgres.StartAsync();
        var images = Path.Combine(_workDir, "images", "tiny");
        Directory.CreateDirectory(images);
        foreach (var file in new[] { "vmlinux", "initrd.gz" }) File.CreateSymbolicLink(Path.Combine(images, file), Path.Combine(guest, file));
        var state = Path.Combine(_workDir, "state");
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = _database.ConnectionString,
            ["Iaas__BootstrapAdminKey"] = AdminKey,
            ["Iaas__Qemu__Enabled"] = "true",
            ["Iaas__Qemu__StateDirectory"] = state,
            ["Iaas__Qemu__ImageDirectory"] = Path.Combine(_workDir, "images"),
            ["Iaas__Qemu__PoolDirectory"] = Path.Combine(_workDir, "pools"),
            ["Iaas__Jobs__RetryDelaysSeconds__0"] = "1",
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

        // The hosts' agent: serves h-qemu-a and h-qemu-b (and the control queue), runs the qemu driver, beats for its hosts.
        // (One agent for both: live migration's two sides run in one process until agents coordinate; docs/qemu.md.)
        using var agent = ChildProcess.StartWorkers(new Dictionary<string, string>(environment)
        {
            ["Iaas__Workers__Hosts__0"] = "qemu-a", ["Iaas__Workers__Hosts__1"] = "qemu-b", ["Iaas__Workers__ServeControlQueue"] = "true",
        }, _workDir);
        var vm = (await (await admin.PostAsJsonAsync("/v1/instances", body)).ExpectAsync(HttpStatusCode.Accepted)).Id();
        await admin.WaitForStatusAsync(vm, "running", timeoutMs: 60000);
        var serial = Path.Combine(state, "qemu-a", vm.ToString(), "serial.log");
        await WaitForAsync(() => File.Exists(serial) && File.ReadAllText(serial).Contains("HB 1"), "the guest's first heartbeat", agent);
        var reported = await admin.GetJson($"/v1/hosts/{host.Id()}");
        Assert.NotNull(reported["lastHeartbeatAt"]);                              // the agent reports its host alive
        Assert.Equal(Environment.ProcessorCount, reported["reported"]!["vcpus"]!.GetValue<int>());   // and the hardware it sees
        Assert.True(reported["reported"]!["memoryMiB"]!.GetValue<int>() > 1024);

        (await admin.PostAsync($"/v1/instances/{vm}/actions/stop", null)).EnsureSuccessStatusCode();
        await admin.WaitForStatusAsync(vm, "stopped", timeoutMs: 30000);
        Assert.True(File.Exists(Path.Combine(state, "qemu-a", vm.ToString(), "disk.qcow2")));
        (await admin.PostAsync($"/v1/instances/{vm}/actions/start", null)).EnsureSuccessStatusCode();
        await admin.WaitForStatusAsync(vm, "running", timeoutMs: 30000);
        await WaitForAsync(() => File.Exists(serial) && File.ReadAllText(serial).Contains("HB 1"), "a heartbeat after the start", agent);

        // Live migration to the second host, through the control plane's stages; the guest carries on there.
        var other = await admin.PostOk("/v1/hosts", new { name = "qemu-b", zoneId = zone.Id(), hypervisor = "qemu",
                                                          capacity = new { vcpus = 2, memoryMiB = 1024, diskGiB = 10, networkMbps = 1000 } });
        var migration = await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "live" })).ExpectAsync(HttpStatusCode.Accepted);
        var done = await WaitForMigrationAsync(admin, migration.Id(), agent);
        Assert.Equal("completed", done.Str("status"));
        Assert.Equal(["pre-migration", "reservation", "pre-copy", "stop-and-copy", "commitment", "activation"],
                     done["stages"]!.AsArray().Select(x => x!.Str("stage")).ToArray());
        Assert.NotEmpty(done["rounds"]!.AsArray());
        Assert.NotNull(done["downtimeMs"]);
        var stages = done["stages"]!.AsArray().ToDictionary(x => x!.Str("stage"), x => x!);
        var preCopy = stages["pre-copy"]!["endedAt"]!.GetValue<DateTimeOffset>() - stages["pre-copy"]!["startedAt"]!.GetValue<DateTimeOffset>();
        var whole = done["endedAt"]!.GetValue<DateTimeOffset>() - done["startedAt"]!.GetValue<DateTimeOffset>();
        output.WriteLine($"live migration through the API: {whole.TotalMilliseconds:F0} ms from the first stage to completed, pre-copy (QEMU's migration, " +
                         $"polled every 200 ms) {preCopy.TotalMilliseconds:F0} ms, downtime {done["downtimeMs"]} ms, {done["rounds"]!.AsArray().Count} round(s)");
        Assert.Equal(other.Id(), (await admin.GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>());
        var moved = Path.Combine(state, "qemu-b", vm.ToString(), "serial.log");
        await WaitForAsync(() => File.Exists(moved) && File.ReadAllText(moved).Contains("HB "), "a heartbeat on the destination", agent);
        Assert.False(Directory.Exists(Path.Combine(state, "qemu-a", vm.ToString())));

        // Cold migration back: stopped, its disk copied with qemu-img, registered on qemu-a, started there.
        var cold = await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "cold" })).ExpectAsync(HttpStatusCode.Accepted);
        var back = await WaitForMigrationAsync(admin, cold.Id(), agent);
        Assert.Equal("completed", back.Str("status"));
        output.WriteLine($"cold migration through the API: {back["diskTotalMiB"]} MiB copied, {back["downtimeMs"]} ms off");
        Assert.Equal((host.Id(), "running"), ((await admin.GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>(),
                                              (await admin.GetJson($"/v1/instances/{vm}")).Str("status")));
        var home = Path.Combine(state, "qemu-a", vm.ToString(), "serial.log");
        await WaitForAsync(() => File.Exists(home) && File.ReadAllText(home).Contains("HB 1"), "a heartbeat back on qemu-a", agent);
        Assert.False(Directory.Exists(Path.Combine(state, "qemu-b", vm.ToString())));

        // Live storage migration: its disk mirrored into the zone's pool while it runs, then pivoted.
        var pool = await admin.PostOk("/v1/storage-pools", new { name = "fast", zoneId = zone.Id(), capacityGiB = 10 });
        var storage = await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "storage", targetPoolId = pool.Id() }))
            .ExpectAsync(HttpStatusCode.Accepted);
        var mirrored = await WaitForMigrationAsync(admin, storage.Id(), agent);
        Assert.Equal("completed", mirrored.Str("status"));
        Assert.True(File.Exists(Path.Combine(_workDir, "pools", "fast", $"{vm}.qcow2")));
        Assert.False(File.Exists(Path.Combine(state, "qemu-a", vm.ToString(), "disk.qcow2")));
        Assert.Equal((0, 1), ((await admin.GetJson($"/v1/hosts/{host.Id()}"))["allocated"]!["diskGiB"]!.GetValue<int>(),
                              (await admin.GetJson($"/v1/storage-pools/{pool.Id()}"))["allocatedGiB"]!.GetValue<int>()));
        Assert.Equal("running", (await admin.GetJson($"/v1/instances/{vm}")).Str("status"));

        (await admin.DeleteAsync($"/v1/instances/{vm}")).EnsureSuccessStatusCode();
        await admin.WaitForStatusAsync(vm, "deleted", timeoutMs: 30000);
        Assert.False(Directory.Exists(Path.Combine(state, "qemu-a", vm.ToString())));
        Assert.Equal(0, (await admin.GetJson($"/v1/storage-pools/{pool.Id()}"))["allocatedGiB"]!.GetValue<int>());
        Assert.Null(agent.ExitCode);
    }

    private static async Task<System.Text.Json.Nodes.JsonObject> WaitForMigrationAsync(HttpClient admin, Guid id, ChildProcess agent)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var m = await admin.GetJson($"/v1/migrations/{id}");
            if (m.Str("status") is "completed" or "failed" or "cancelled") return m;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Migration still {m.Str("status")}: {m.ToJsonString()}\n{agent.Output()}");
            await Task.Delay(200);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, ChildProcess agent)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No {what} within 60 s. Agent output:\n{agent.Output()}");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }
}
