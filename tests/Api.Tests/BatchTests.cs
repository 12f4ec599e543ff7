using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary><c>count</c> &gt; 1: all or nothing at admission, one operation to poll.</summary>
public sealed class BatchTests(ApiFactory api)
{
    [Fact]
    public async Task Batch_CreatesAllInstances_UnderOneOperation()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostMemoryMiB: 16384, flavorMemoryMiB: 4096);
        var tenant = api.Client(cloud.TenantKey);

        var response = await tenant.PostAsJsonAsync("/v1/instances", cloud.CreateBody("web", count: 3));
        var batch = await response.ExpectAsync(HttpStatusCode.Accepted);

        var items = batch["items"]!.AsArray();
        Assert.Equal(["web-1", "web-2", "web-3"], items.Select(i => i!.Str("name")));
        var opId = batch["operationId"]!.GetValue<Guid>();
        var op = await tenant.WaitForOperationAsync(opId);
        Assert.Equal(("succeeded", 100), (op.Str("status"), op["progress"]!.GetValue<int>()));
        foreach (var item in items) await tenant.WaitForStatusAsync(item!.Id(), "running");
        var related = await tenant.GetJson($"/v1/operations?resourceId={items[1]!.Id()}");
        Assert.Contains(related["items"]!.AsArray(), o => o!.Id() == opId);                   // the batch is found from any member
    }

    [Fact]
    public async Task Batch_IsAllOrNothing_WhenCapacityRunsOutPartWay()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostMemoryMiB: 8192, flavorMemoryMiB: 4096);   // room for 4
        var tenant = api.Client(cloud.TenantKey);
        await tenant.CreateInstanceAsync(cloud);                                              // 3 left

        var response = await tenant.PostAsJsonAsync("/v1/instances", cloud.CreateBody("batch", count: 4));

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        Assert.Single((await tenant.GetJson("/v1/instances"))["items"]!.AsArray());         // none of the four
        var admin = api.Admin();
        var allocated = 0;
        foreach (var h in cloud.HostIds) allocated += (await admin.GetJson($"/v1/hosts/{h}"))["allocated"]!["memoryMiB"]!.GetValue<int>();
        Assert.Equal(4096, allocated);
        Assert.Equal(1, (await admin.GetJson($"/v1/tenants/{cloud.TenantId}"))["usage"]!["instances"]!.GetValue<int>());
    }

    [Fact]
    public async Task Batch_ParentFails_WhenAChildFails()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostMemoryMiB: 16384, flavorMemoryMiB: 2048);
        var tenant = api.Client(cloud.TenantKey);
        await api.Admin().PostAsJsonAsync("/v1/simulation/faults", new { operation = "spawn", hostId = cloud.HostIds[0], transient = false, count = 1 });

        var batch = await (await tenant.PostAsJsonAsync("/v1/instances", cloud.CreateBody("mix", count: 3))).ExpectAsync(HttpStatusCode.Accepted);
        var op = await tenant.WaitForOperationAsync(batch["operationId"]!.GetValue<Guid>());

        Assert.Equal("failed", op.Str("status"));
        Assert.Contains("1 of 3", op["error"]!.Str("title"));
    }
}
