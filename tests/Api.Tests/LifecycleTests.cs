using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>The whole life cycle over HTTP, through real Hangfire jobs and the fake driver, on PostgreSQL.</summary>
public sealed class LifecycleTests(ApiFactory api)
{
    [Fact]
    public async Task Instance_GoesThroughItsLifeCycle_AndReleasesCapacity_WhenDeleted()
    {
        var cloud = await api.SeedAsync(hosts: 1, flavorVcpus: 2, flavorMemoryMiB: 4096, flavorDiskGiB: 20);
        var tenant = api.Client(cloud.TenantKey);
        var admin = api.Admin();

        var created = await tenant.CreateInstanceAsync(cloud, "web-1");
        Assert.Equal("building", created.Str("status"));
        Assert.Null(created["hostId"]);                                  // tenants do not see hosts
        var id = created.Id();
        await tenant.WaitForStatusAsync(id, "running");

        var host = await admin.GetJson($"/v1/hosts/{cloud.HostIds[0]}");
        Assert.Equal(2, host["allocated"]!["vcpus"]!.GetValue<int>());
        Assert.Equal(4096, host["allocated"]!["memoryMiB"]!.GetValue<int>());
        Assert.Equal(1, host["instanceCount"]!.GetValue<int>());
        Assert.Equal(cloud.HostIds[0], (await admin.GetJson($"/v1/instances/{id}"))["hostId"]!.GetValue<Guid>());
        Assert.Equal("running", api.Fake.Find(id)?.Power.ToString().ToLowerInvariant());

        await Act(tenant, id, "stop", "stopping", "stopped");
        Assert.Equal("Shutoff", api.Fake.Find(id)!.Power.ToString());
        await Act(tenant, id, "start", "starting", "running");
        await Act(tenant, id, "reboot", "rebooting", "running");

        var delete = await tenant.DeleteAsync($"/v1/instances/{id}");
        var deleting = await delete.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("deleting", deleting.Str("status"));
        await tenant.WaitForStatusAsync(id, "deleted");

        host = await admin.GetJson($"/v1/hosts/{cloud.HostIds[0]}");
        Assert.Equal(0, host["allocated"]!["vcpus"]!.GetValue<int>());
        Assert.Equal(0, host["allocated"]!["memoryMiB"]!.GetValue<int>());
        Assert.Equal(0, host["instanceCount"]!.GetValue<int>());
        Assert.Null(api.Fake.Find(id));
        var tenantRow = await admin.GetJson($"/v1/tenants/{cloud.TenantId}");
        Assert.Equal(0, tenantRow["usage"]!["instances"]!.GetValue<int>());

        var trail = await tenant.GetJson($"/v1/instances/{id}/actions");
        var moves = trail["items"]!.AsArray().Select(a => $"{a!["fromStatus"]?.GetValue<string>() ?? "-"}>{a["toStatus"]!.GetValue<string>()}");
        Assert.Equal(["->building", "building>running", "running>stopping", "stopping>stopped", "stopped>starting", "starting>running",
                      "running>rebooting", "rebooting>running", "running>deleting", "deleting>deleted"], moves);

        // Deleted instances are hidden from lists unless asked for.
        var list = await tenant.GetJson("/v1/instances");
        Assert.DoesNotContain(list["items"]!.AsArray(), i => i!.Id() == id);
        var deleted = await tenant.GetJson("/v1/instances?status=deleted");
        Assert.Contains(deleted["items"]!.AsArray(), i => i!.Id() == id);
    }

    [Fact]
    public async Task Operation_ReportsProgressAndOutcome_ForEveryAction()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var created = await tenant.CreateInstanceAsync(cloud);
        var op = await tenant.WaitForOperationAsync(created["operationId"]!.GetValue<Guid>());
        Assert.Equal(("instance.create", "succeeded", 100, "instance"), (op.Str("kind"), op.Str("status"), op["progress"]!.GetValue<int>(), op.Str("resourceType")));
        Assert.Equal(created.Id(), op["resourceId"]!.GetValue<Guid>());

        var stop = await (await tenant.PostAsync($"/v1/instances/{created.Id()}/actions/stop", null)).ExpectAsync(HttpStatusCode.Accepted);
        var stopOp = await tenant.WaitForOperationAsync(stop["operationId"]!.GetValue<Guid>());
        Assert.Equal(("instance.stop", "succeeded"), (stopOp.Str("kind"), stopOp.Str("status")));

        var ops = await tenant.GetJson($"/v1/operations?resourceId={created.Id()}");
        Assert.Equal(["instance.create", "instance.stop"], ops["items"]!.AsArray().Select(o => o!.Str("kind")));
    }

    [Fact]
    public async Task Action_Returns409InvalidState_WhenTheStatusForbidsIt()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");

        await (await tenant.PostAsync($"/v1/instances/{id}/actions/start", null)).ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");
        await Act(tenant, id, "stop", "stopping", "stopped");
        await (await tenant.PostAsync($"/v1/instances/{id}/actions/reboot", null)).ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");
        await (await tenant.PostAsync($"/v1/instances/{id}/actions/stop", null)).ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");
        Assert.Equal("stopped", (await tenant.GetJson($"/v1/instances/{id}")).Str("status"));
    }

    [Fact]
    public async Task Delete_IsIdempotent_WhenRepeated()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");
        (await tenant.DeleteAsync($"/v1/instances/{id}")).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(id, "deleted");
        var again = await (await tenant.DeleteAsync($"/v1/instances/{id}")).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("deleted", again.Str("status"));
        var host = await api.Admin().GetJson($"/v1/hosts/{cloud.HostIds[0]}");
        Assert.Equal(0, host["allocated"]!["vcpus"]!.GetValue<int>());   // released once, not twice
    }

    [Fact]
    public async Task Delete_WhileBuilding_LeavesNothingBehind()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        (await tenant.DeleteAsync($"/v1/instances/{id}")).EnsureSuccessStatusCode();   // 20 ms spawn: usually still building
        await tenant.WaitForStatusAsync(id, "deleted");
        // A spawn that lands after the delete cleans up after itself: give it time, on a busy machine too.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (api.Fake.Find(id) is not null && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Null(api.Fake.Find(id));
        var host = await api.Admin().GetJson($"/v1/hosts/{cloud.HostIds[0]}");
        Assert.Equal(0, host["allocated"]!["memoryMiB"]!.GetValue<int>());
    }

    private static async Task Act(HttpClient tenant, Guid id, string action, string transitional, string final)
    {
        var response = await tenant.PostAsync($"/v1/instances/{id}/actions/{action}", null);
        var body = await response.ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(transitional, body.Str("status"));
        Assert.Equal($"/v1/instances/{id}", response.Headers.Location?.ToString());
        await tenant.WaitForStatusAsync(id, final);
    }
}
