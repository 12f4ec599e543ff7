using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Domain.Hypervisors;
using IaasApi.Infrastructure.Hypervisors.Fake;

namespace IaasApi.Api.Tests;

/// <summary>
/// Instance snapshots through the API, with the fake driver: taken of a running instance with its memory (or of a
/// stopped one without), restored (the instance starts again from it), deleted (alone, or with their instance); refused
/// where they cannot be, and another tenant's are a 404.
/// </summary>
public sealed class SnapshotTests(ApiFactory api)
{
    private async Task<(Cloud Cloud, HttpClient Tenant, Guid Vm)> RunningVmAsync()
    {
        var cloud = await api.SeedAsync(hosts: 1, flavorVcpus: 1);
        var tenant = api.Client(cloud.TenantKey);
        var vm = (await tenant.CreateOkAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(vm, "running");
        return (cloud, tenant, vm);
    }

    private static async Task<JsonObject> SnapshotAsync(HttpClient tenant, Guid vm, string name, bool? includeMemory = null, string expect = "available")
    {
        var accepted = await (await tenant.PostAsJsonAsync("/v1/snapshots", new { instanceId = vm, name, includeMemory })).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("creating", accepted.Str("status"));
        await tenant.WaitForOperationAsync(accepted["operationId"]!.GetValue<Guid>());
        var taken = await tenant.GetJson($"/v1/snapshots/{accepted.Id()}");
        Assert.Equal(expect, taken.Str("status"));
        return taken;
    }

    [Fact]
    public async Task ARunningInstance_IsSnapshottedWithItsMemory_AndRestoredToIt_AndAStoppedOneWithout()
    {
        var (_, tenant, vm) = await RunningVmAsync();
        var snapshot = await SnapshotAsync(tenant, vm, "before-upgrade");
        Assert.True(snapshot["includesMemory"]!.GetValue<bool>());
        Assert.True(snapshot["sizeMiB"]!.GetValue<int>() > 4096);                // the disk's written part and the 4 GiB of memory
        Assert.NotNull(api.Fake.InstanceSnapshot(vm, snapshot.Id()));
        Assert.Equal("snapshot.create", (await tenant.GetJson($"/v1/operations/{snapshot["operationId"]}")).Str("kind"));

        var restoring = await (await tenant.PostAsJsonAsync($"/v1/instances/{vm}/actions/restore", new { snapshotId = snapshot.Id() }))
            .ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("rebooting", restoring.Str("status"));
        Assert.Equal("restoring", (await tenant.GetJson($"/v1/snapshots/{snapshot.Id()}")).Str("status"));
        await (await tenant.DeleteAsync($"/v1/snapshots/{snapshot.Id()}")).ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");   // being read
        await tenant.WaitForStatusAsync(vm, "running");
        Assert.Equal("available", (await tenant.GetJson($"/v1/snapshots/{snapshot.Id()}")).Str("status"));
        var trail = (await tenant.GetJson($"/v1/instances/{vm}/actions"))["items"]!.AsArray();
        Assert.Contains(trail, a => a!.Str("action") == "restore" && a!.Str("fromStatus") == "running");
        Assert.Contains(trail, a => a!.Str("action") == "restored" && a!.Str("detail").Contains("saved memory"));

        // Stopped: the disk only (asking for the memory is refused), and a restore runs it again.
        (await tenant.PostAsync($"/v1/instances/{vm}/actions/stop", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(vm, "stopped");
        await (await tenant.PostAsJsonAsync("/v1/snapshots", new { instanceId = vm, name = "x", includeMemory = true }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");
        var diskOnly = await SnapshotAsync(tenant, vm, "cold");
        Assert.False(diskOnly["includesMemory"]!.GetValue<bool>());
        (await tenant.PostAsJsonAsync($"/v1/instances/{vm}/actions/restore", new { snapshotId = diskOnly.Id() })).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(vm, "running");
        Assert.Equal(VmPowerState.Running, api.Fake.Find(vm)!.Power);
        var list = await tenant.GetJson($"/v1/snapshots?instanceId={vm}");
        Assert.Equal(2, list["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task Snapshots_AreDeleted_AloneOrWithTheirInstance_AndFailuresSayWhy()
    {
        var (cloud, tenant, vm) = await RunningVmAsync();
        var first = await SnapshotAsync(tenant, vm, "one");
        var deleting = await (await tenant.DeleteAsync($"/v1/snapshots/{first.Id()}")).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("deleting", deleting.Str("status"));
        await tenant.WaitForOperationAsync(deleting["operationId"]!.GetValue<Guid>());
        Assert.Equal("deleted", (await tenant.GetJson($"/v1/snapshots/{first.Id()}")).Str("status"));
        Assert.Null(api.Fake.InstanceSnapshot(vm, first.Id()));
        await (await tenant.DeleteAsync($"/v1/snapshots/{first.Id()}")).ExpectAsync(HttpStatusCode.Accepted);   // idempotent
        Assert.Empty((await tenant.GetJson($"/v1/snapshots?instanceId={vm}"))["items"]!.AsArray());
        await (await tenant.PostAsJsonAsync($"/v1/instances/{vm}/actions/restore", new { snapshotId = first.Id() }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");

        // The hypervisor refuses: the snapshot is in error with the reason; the instance is untouched.
        api.Fake.InjectFault(FakeOperation.Snapshot, null, vm, transient: false, count: 1, "the save store is full");
        var failed = await SnapshotAsync(tenant, vm, "two", expect: "error");
        Assert.Contains("the save store is full", failed.Str("statusReason"));
        Assert.Equal("running", (await tenant.GetJson($"/v1/instances/{vm}")).Str("status"));

        // A failed restore leaves the instance stopped (start it as it is, or restore again); the snapshot stays available.
        var kept = await SnapshotAsync(tenant, vm, "three");
        api.Fake.InjectFault(FakeOperation.Restore, null, vm, transient: false, count: 1, "restore broke");
        (await tenant.PostAsJsonAsync($"/v1/instances/{vm}/actions/restore", new { snapshotId = kept.Id() })).EnsureSuccessStatusCode();
        var stopped = await tenant.WaitForStatusAsync(vm, "stopped");
        Assert.Equal("available", (await tenant.GetJson($"/v1/snapshots/{kept.Id()}")).Str("status"));
        (await tenant.PostAsJsonAsync($"/v1/instances/{vm}/actions/restore", new { snapshotId = kept.Id() })).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(vm, "running");
        Assert.NotNull(stopped);

        // Deleting the instance deletes its snapshots.
        (await tenant.DeleteAsync($"/v1/instances/{vm}")).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(vm, "deleted");
        Assert.Equal("deleted", (await tenant.GetJson($"/v1/snapshots/{kept.Id()}")).Str("status"));
        Assert.Null(api.Fake.InstanceSnapshot(vm, kept.Id()));
        Assert.NotNull(cloud);
    }

    [Fact]
    public async Task BadRequests_AreRefused_AndAnotherTenantsSnapshotsAreNotFound()
    {
        var (cloud, tenant, vm) = await RunningVmAsync();
        await (await tenant.PostAsJsonAsync("/v1/snapshots", new { name = "x" })).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.PostAsJsonAsync("/v1/snapshots", new { instanceId = vm, name = "has space" })).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.PostAsJsonAsync("/v1/snapshots", new { instanceId = Guid.NewGuid(), name = "x" })).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await tenant.PostAsJsonAsync($"/v1/instances/{vm}/actions/restore", new { })).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.PostAsJsonAsync($"/v1/instances/{vm}/actions/restore", new { snapshotId = Guid.NewGuid() }))
            .ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        var mine = await SnapshotAsync(tenant, vm, "mine");

        var (_, otherKey) = await api.NewTenantAsync();
        var other = api.Client(otherKey);
        await (await other.GetAsync($"/v1/snapshots/{mine.Id()}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.DeleteAsync($"/v1/snapshots/{mine.Id()}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.PostAsJsonAsync("/v1/snapshots", new { instanceId = vm, name = "theirs" })).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.PostAsJsonAsync($"/v1/instances/{vm}/actions/restore", new { snapshotId = mine.Id() }))
            .ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Empty((await other.GetJson("/v1/snapshots"))["items"]!.AsArray());

        // A snapshot of another of the tenant's instances does not restore this one.
        var second = (await tenant.CreateOkAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(second, "running");
        await (await tenant.PostAsJsonAsync($"/v1/instances/{second}/actions/restore", new { snapshotId = mine.Id() }))
            .ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Empty((await api.Admin().GetJson($"/v1/snapshots?instanceId={second}"))["items"]!.AsArray());
    }
}
