using IaasApi.Infrastructure.Operations;
using IaasApi.Infrastructure.VmMigrations;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Infrastructure.Hypervisors.Fake;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Api.Tests;

/// <summary>
/// Live storage migration through the API with the fake driver: a running VM's disk moves from its host's local disk to
/// a shared pool of its zone (copy while the VM uses its source, mirror until in sync, commit, pivot) and the capacity
/// moves with it; a fault or a cancel before the commitment leaves the disk where it was with one allocation.
/// </summary>
public sealed class StorageMigrationTests(ApiFactory api)
{
    private const int FastLink = 100_000;

    private async Task<(Cloud Cloud, Guid Vm, Guid Host, Guid Pool)> PooledCloudAsync(int poolGiB = 100)
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorVcpus: 2, flavorDiskGiB: 20);
        var tenant = api.Client(cloud.TenantKey);
        var vm = (await tenant.CreateOkAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(vm, "running");
        var host = (await api.Admin().GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>();
        var pool = (await api.Admin().PostOk("/v1/storage-pools", new { name = TestCloud.Unique("pool"), zoneId = cloud.ZoneId, capacityGiB = poolGiB })).Id();
        return (cloud, vm, host, pool);
    }

    private Task<JsonObject> MigrateAsync(Guid vm, object body) => api.MigrateOkAsync(vm, body);

    private Task<JsonObject> SettleAsync(Guid migrationId) => api.SettleMigrationAsync(migrationId, TimeSpan.FromMilliseconds(100));

    private async Task<(int HostDisk, int PoolDisk)> DisksAsync(Guid host, Guid pool) =>
        ((await api.Admin().GetJson($"/v1/hosts/{host}"))["allocated"]!["diskGiB"]!.GetValue<int>(),
         (await api.Admin().GetJson($"/v1/storage-pools/{pool}"))["allocatedGiB"]!.GetValue<int>());

    [Fact]
    public async Task Storage_MovesARunningVmsDiskToAPool_StageByStage_AndTheCapacityWithIt()
    {
        var (cloud, vm, host, pool) = await PooledCloudAsync();
        Assert.Equal((20, 0), await DisksAsync(host, pool));
        var started = await MigrateAsync(vm, new { type = "storage", targetPoolId = pool, bandwidthMbps = FastLink });
        Assert.Equal(("storage", pool), (started.Str("type"), started["targetPoolId"]!.GetValue<Guid>()));

        var done = await SettleAsync(started.Id());
        Assert.Equal("completed", done.Str("status"));
        Assert.Equal(["pre-migration", "reservation", "copy", "mirror", "commitment", "activation"],
                     done["stages"]!.AsArray().Select(x => x!.Str("stage")).ToArray());
        Assert.Equal(5120.0, done["diskCopiedMiB"]!.GetValue<double>());
        var instance = await api.Admin().GetJson($"/v1/instances/{vm}");
        Assert.Equal(("running", host, pool), (instance.Str("status"), instance["hostId"]!.GetValue<Guid>(), instance["storagePoolId"]!.GetValue<Guid>()));
        Assert.Equal(20, instance["resources"]!["diskGiB"]!.GetValue<int>());                  // the flavor's disk, wherever it lives
        Assert.Equal((0, 20), await DisksAsync(host, pool));
        var fake = api.Fake.Find(vm)!;
        Assert.Equal((host, (await api.Admin().GetJson($"/v1/storage-pools/{pool}")).Str("name")), (fake.HostId, fake.Pool));
        Assert.Null(api.Fake.MirrorOf(vm));

        // A pooled disk needs no local disk: a live migration takes only vCPUs and memory to the other host.
        var other = cloud.HostIds.Single(h => h != host);
        var live = await SettleAsync((await MigrateAsync(vm, new { type = "live" })).Id());
        Assert.Equal("completed", live.Str("status"));
        Assert.Equal((0, 20), await DisksAsync(other, pool));

        var tenant = api.Client(cloud.TenantKey);
        (await tenant.DeleteAsync($"/v1/instances/{vm}")).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(vm, "deleted");
        Assert.Equal((0, 0), await DisksAsync(other, pool));
        (await api.Admin().DeleteAsync($"/v1/storage-pools/{pool}")).EnsureSuccessStatusCode();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Storage_FailingOrCancelledDuringTheCopy_LeavesTheDiskWhereItWas(bool cancel)
    {
        var (_, vm, host, pool) = await PooledCloudAsync();
        var started = await MigrateAsync(vm, new { type = "storage", targetPoolId = pool, bandwidthMbps = 100 });   // 52 s of copy
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (api.Fake.MirrorOf(vm) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "The mirror never started.");
            await Task.Delay(10);
        }
        api.Clock.Advance(TimeSpan.FromSeconds(5));
        if (cancel) await (await api.Admin().PostAsync($"/v1/migrations/{started.Id()}/actions/cancel", null)).ExpectAsync(HttpStatusCode.Accepted);
        else api.Fake.InjectFault(FakeOperation.CopyDisk, host, vm, transient: false, count: 1, "injected mirror failure");

        var ended = await SettleAsync(started.Id());
        Assert.Equal(cancel ? "cancelled" : "failed", ended.Str("status"));
        var instance = await api.Admin().GetJson($"/v1/instances/{vm}");
        Assert.Equal(("running", host), (instance.Str("status"), instance["hostId"]!.GetValue<Guid>()));
        Assert.Null(instance["storagePoolId"]);
        Assert.Equal((20, 0), await DisksAsync(host, pool));
        Assert.Null(api.Fake.MirrorOf(vm));
        Assert.Null(api.Fake.Find(vm)!.Pool);
    }

    [Fact]
    public async Task Storage_Refusals_AreClearAndChangeNothing()
    {
        var (cloud, vm, host, pool) = await PooledCloudAsync(poolGiB: 10);
        var admin = api.Admin();
        await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "storage" }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "storage", targetPoolId = pool, targetHostId = host }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "live", targetPoolId = pool }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "storage", targetPoolId = Guid.NewGuid() }))
            .ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        var small = await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "storage", targetPoolId = pool }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "conflict");                                    // 10 GiB pool, 20 GiB disk
        Assert.Contains("10 GiB free", small.Str("detail"));
        var elsewhere = await api.SeedAsync(hosts: 1);
        var far = (await admin.PostOk("/v1/storage-pools", new { name = TestCloud.Unique("pool"), zoneId = elsewhere.ZoneId, capacityGiB = 100 })).Id();
        await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "storage", targetPoolId = far }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");
        await (await admin.PostAsJsonAsync("/v1/storage-pools", new { name = TestCloud.Unique("pool"), zoneId = cloud.ZoneId, capacityGiB = 0 }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        // A zone with a pool (and nothing else) is not deleted from under it; an empty pool is.
        var bare = (await admin.PostOk("/v1/zones", new { name = TestCloud.Unique("zone"), regionId = cloud.RegionId })).Id();
        var lone = (await admin.PostOk("/v1/storage-pools", new { name = TestCloud.Unique("pool"), zoneId = bare, capacityGiB = 10 })).Id();
        var kept = await (await admin.DeleteAsync($"/v1/zones/{bare}")).ExpectProblemAsync(HttpStatusCode.Conflict, "conflict");
        Assert.Contains("storage pool", kept.Str("detail"));
        (await admin.DeleteAsync($"/v1/storage-pools/{lone}")).EnsureSuccessStatusCode();
        (await admin.DeleteAsync($"/v1/zones/{bare}")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Forbidden, (await api.Client(cloud.TenantKey).GetAsync("/v1/storage-pools")).StatusCode);
        var instance = await admin.GetJson($"/v1/instances/{vm}");
        Assert.Equal(("running", host), (instance.Str("status"), instance["hostId"]!.GetValue<Guid>()));
        Assert.Equal((20, 0), await DisksAsync(host, pool));
        Assert.Empty((await admin.GetJson($"/v1/migrations?instanceId={vm}"))["items"]!.AsArray());
    }

    [Fact]
    public async Task Storage_WorkerKilledMidCopy_KeepsTheDiskWhereItWas_AndTheReconcilerFinishesIt()
    {
        var (cloud, vm, host, pool) = await PooledCloudAsync();
        api.Jobs.DropNext(1, cloud.TenantId);
        var started = await MigrateAsync(vm, new { type = "storage", targetPoolId = pool, bandwidthMbps = 1000 });
        var operationId = started["operationId"]!.GetValue<Guid>();
        using var kill = new CancellationTokenSource();
        var run = api.WithScopeAsync(sp => sp.GetRequiredService<IMigrationJobs>().RunAsync(operationId, kill.Token));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (api.Fake.MirrorOf(vm) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "The mirror never started.");
            await Task.Delay(10);
        }
        kill.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal((20, 20), await DisksAsync(host, pool));                     // the disk's place and the pool's claim, both held
        Assert.Null(api.Fake.Find(vm)!.Pool);

        api.Clock.Advance(TimeSpan.FromMinutes(2));
        await api.WithScopeAsync(async sp => await sp.GetRequiredService<OperationReconciler>().RunAsync(CancellationToken.None));
        var done = await SettleAsync(started.Id());
        Assert.Equal("completed", done.Str("status"));
        Assert.Equal((0, 20), await DisksAsync(host, pool));
        Assert.NotNull(api.Fake.Find(vm)!.Pool);
    }
}
