using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// docker-compose's layout as plain processes on a fresh PostgreSQL database: the migrate verb, an api that only
/// enqueues (InProcessWorkers=false), and src/Workers that runs the jobs.
/// </summary>
public sealed class ProductionLayoutTests : IAsyncLifetime
{
    private const string AdminKey = "iaas_production-layout-test-key-0123456789";
    private readonly string _workDir = Directory.CreateTempSubdirectory("iaas-layout-").FullName;
    private TestPostgres? _database;

    public async ValueTask InitializeAsync() => _database = await TestPostgres.StartAsync();

    [Fact]
    public async Task MigrateApiAndWorkers_AsSeparateProcesses_RunAVm()
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = _database!.ConnectionString,
            ["Iaas__BootstrapAdminKey"] = AdminKey,
            ["Iaas__FakeDriver__SpawnMilliseconds"] = "20",
        };

        // Before the migrate step, the api is alive but not ready.
        using (var early = ChildProcess.StartApi(environment, _workDir))
        {
            await early.WaitForAsync("/healthz");
            var readyz = await early.Client(null).GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
            Assert.NotNull(readyz.Headers.RetryAfter);
            Assert.Contains("migration", await readyz.Content.ReadAsStringAsync());
        }

        var (exit, output) = await ChildProcess.RunApiAsync(["migrate"], environment, _workDir);
        Assert.True(exit == 0, output);
        Assert.Contains("Migrations applied", output);
        Assert.Equal(0, (await ChildProcess.RunApiAsync(["migrate"], environment, _workDir)).ExitCode);   // idempotent

        using var api = await ChildProcess.StartApiAsync(new Dictionary<string, string>(environment) { ["Iaas__InProcessWorkers"] = "false" }, _workDir);
        var admin = api.Client(AdminKey);
        // A production deployment serves the OpenAPI document (clients are generated from it) but not the Swagger UI.
        Assert.Equal(HttpStatusCode.OK, (await api.Client(null).GetAsync("/swagger/v1/swagger.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.Client(null).GetAsync("/swagger/index.html")).StatusCode);
        var region = await admin.PostOk("/v1/regions", new { name = "r1" });
        var zone = await admin.PostOk("/v1/zones", new { name = "z1", regionId = region.Id() });
        await admin.PostOk("/v1/hosts", new { name = "h1", zoneId = zone.Id(), hypervisor = "fake", capacity = new { vcpus = 8, memoryMiB = 8192, diskGiB = 100 } });
        var flavor = await admin.PostOk("/v1/flavors", new { name = "f1", vcpus = 1, memoryMiB = 1024, diskGiB = 10 });
        var image = await admin.PostOk("/v1/images", new { name = "i1", os = "debian", format = "qcow2", minDiskGiB = 1 });
        var plan = await admin.PostOk("/v1/sla-plans", new { name = "p1" });
        var tenant = await admin.PostOk("/v1/tenants", new { name = "t1" });
        var body = new { name = "vm", flavorId = flavor.Id(), imageId = image.Id(), slaPlanId = plan.Id(), tenantId = tenant.Id() };
        var created = await (await admin.PostAsJsonAsync("/v1/instances", body)).ExpectAsync(HttpStatusCode.Accepted);

        await Task.Delay(1500);
        Assert.Equal("building", (await admin.GetJson($"/v1/instances/{created.Id()}")).Str("status"));   // nobody runs jobs yet

        var alive = Path.Combine(_workDir, "worker-alive");
        using var workers = await ChildProcess.StartWorkersAsync(new Dictionary<string, string>(environment) { ["Iaas__Workers__AliveFile"] = alive }, _workDir);
        await admin.WaitForStatusAsync(created.Id(), "running", timeoutMs: 30000);
        Assert.Null(workers.ExitCode);

        // Production: /hangfire shows the jobs to an admin, read-only — a delete of a job the control plane owns is refused
        // (Development's writable dashboard deletes it: JobsDashboardTests).
        var (jobs, jobId) = await JobsDashboardTests.SucceededJobAsync(api.Client(AdminKey));
        Assert.NotEmpty(jobId);
        Assert.DoesNotContain("js-jobs-list-command", jobs);   // no delete / requeue buttons
        var delete = await api.Client(AdminKey).PostAsync($"/hangfire/jobs/actions/delete/{jobId}", null);
        Assert.Equal(HttpStatusCode.Unauthorized, delete.StatusCode);   // Hangfire's answer to a command on a read-only dashboard
        Assert.Contains("Succeeded", await api.Client(AdminKey).GetStringAsync($"/hangfire/jobs/details/{jobId}"));
        // Its liveness file (the container health check) is touched while the database answers.
        for (var i = 0; i < 150 && !File.Exists(alive); i++) await Task.Delay(100);
        Assert.True(DateTime.UtcNow - File.GetLastWriteTimeUtc(alive) < TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }
}
