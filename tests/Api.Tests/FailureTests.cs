using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>Driver failures, injected through the simulation API: permanent ones end in a clear state, transient ones retry.</summary>
public sealed class FailureTests(ApiFactory api)
{
    [Fact]
    public async Task PermanentSpawnFailure_PutsTheInstanceInError_AndReleasesTheHost()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        await InjectAsync(new { operation = "spawn", hostId = cloud.HostIds[0], transient = false, message = "image checksum mismatch" });

        var created = await tenant.CreateInstanceAsync(cloud);
        var instance = await tenant.WaitForStatusAsync(created.Id(), "error");

        Assert.Equal("image checksum mismatch", instance.Str("statusReason"));
        var trail = (await tenant.GetJson($"/v1/instances/{created.Id()}/actions"))["items"]!.AsArray();
        var fail = trail[^1]!;
        Assert.Equal(("building", "error", "image checksum mismatch", "system:worker"),
            (fail.Str("fromStatus"), fail.Str("toStatus"), fail.Str("detail"), fail.Str("actor")));
        var op = await tenant.WaitForOperationAsync(created["operationId"]!.GetValue<Guid>());
        Assert.Equal("failed", op.Str("status"));
        Assert.Equal("https://iaasapi.dev/problems/hypervisor-error", op["error"]!.Str("type"));
        Assert.Equal("image checksum mismatch", op["error"]!.Str("detail"));

        var host = await admin.GetJson($"/v1/hosts/{cloud.HostIds[0]}");
        Assert.Equal(0, host["allocated"]!["memoryMiB"]!.GetValue<int>());
        Assert.Null(api.Fake.Find(created.Id()));                                         // nothing left behind
        Assert.Equal(1, (await admin.GetJson($"/v1/tenants/{cloud.TenantId}"))["usage"]!["instances"]!.GetValue<int>());

        (await tenant.DeleteAsync($"/v1/instances/{created.Id()}")).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(created.Id(), "deleted");
        Assert.Equal(0, (await admin.GetJson($"/v1/tenants/{cloud.TenantId}"))["usage"]!["instances"]!.GetValue<int>());
        Assert.Equal(0, (await admin.GetJson($"/v1/hosts/{cloud.HostIds[0]}"))["allocated"]!["memoryMiB"]!.GetValue<int>());
    }

    [Fact]
    public async Task TransientSpawnFailure_IsRetried_UntilItSucceeds()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        await InjectAsync(new { operation = "spawn", hostId = cloud.HostIds[0], transient = true, count = 2, message = "libvirt busy" });

        var created = await tenant.CreateInstanceAsync(cloud);
        await tenant.WaitForStatusAsync(created.Id(), "running", timeoutMs: 20000);

        Assert.DoesNotContain(api.Fake.Faults(), f => f.HostId == cloud.HostIds[0]);   // both failures were consumed: it really retried
        var attempts = await api.WithDbAsync(db => Task.FromResult(db.Operations.Single(o => o.ResourceId == created.Id()).Attempts));
        Assert.Equal(3, attempts);
        var op = await tenant.GetJson($"/v1/operations/{created["operationId"]}");
        Assert.Equal("succeeded", op.Str("status"));
    }

    [Fact]
    public async Task TransientSpawnFailure_BecomesAnError_WhenRetriesAreExhausted()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        await InjectAsync(new { operation = "spawn", hostId = cloud.HostIds[0], transient = true, count = 10, message = "host agent unreachable" });

        var created = await tenant.CreateInstanceAsync(cloud);
        var instance = await tenant.WaitForStatusAsync(created.Id(), "error", timeoutMs: 20000);

        Assert.Equal("Gave up after 3 attempts: host agent unreachable", instance.Str("statusReason"));
        Assert.Equal(0, (await api.Admin().GetJson($"/v1/hosts/{cloud.HostIds[0]}"))["allocated"]!["vcpus"]!.GetValue<int>());
        api.Fake.ClearFaults();
    }

    [Fact]
    public async Task PermanentStopFailure_LeavesTheInstanceRunning_AndFailsTheOperation()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");
        await InjectAsync(new { operation = "power", instanceId = id, transient = false, message = "guest refused ACPI shutdown" });

        var stop = await (await tenant.PostAsync($"/v1/instances/{id}/actions/stop", null)).ExpectAsync(HttpStatusCode.Accepted);
        var op = await tenant.WaitForOperationAsync(stop["operationId"]!.GetValue<Guid>());

        Assert.Equal("failed", op.Str("status"));
        var instance = await tenant.GetJson($"/v1/instances/{id}");
        Assert.Equal("running", instance.Str("status"));
        var last = (await tenant.GetJson($"/v1/instances/{id}/actions"))["items"]!.AsArray()[^1]!;
        Assert.Equal(("stop-failed", "stopping", "running"), (last.Str("action"), last.Str("fromStatus"), last.Str("toStatus")));
        Assert.Equal("Running", api.Fake.Find(id)!.Power.ToString());
    }

    [Fact]
    public async Task PermanentDestroyFailure_KeepsTheClaim_UntilADeleteSucceeds()
    {
        var cloud = await api.SeedAsync(hosts: 1, flavorMemoryMiB: 2048);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");
        var fault = await InjectAsync(new { operation = "destroy", instanceId = id, transient = false, message = "volume busy" });

        (await tenant.DeleteAsync($"/v1/instances/{id}")).EnsureSuccessStatusCode();
        var failed = await tenant.WaitForStatusAsync(id, "error");
        Assert.Equal("volume busy", failed.Str("statusReason"));
        Assert.NotNull(api.Fake.Find(id));                                                  // the VM is still there...
        var host = await api.Admin().GetJson($"/v1/hosts/{cloud.HostIds[0]}");
        Assert.Equal(2048, host["allocated"]!["memoryMiB"]!.GetValue<int>());               // ...so its capacity stays claimed

        (await tenant.DeleteAsync($"/v1/instances/{id}")).EnsureSuccessStatusCode();        // the fault was one-shot
        await tenant.WaitForStatusAsync(id, "deleted");
        host = await api.Admin().GetJson($"/v1/hosts/{cloud.HostIds[0]}");
        Assert.Equal(0, host["allocated"]!["memoryMiB"]!.GetValue<int>());
        Assert.DoesNotContain(api.Fake.Faults(), f => f.Id == fault);
    }

    [Fact]
    public async Task FakeDriver_RefusesToPowerAVmThatIsNotOnTheHost()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");
        // The VM vanishes behind the control plane's back (a host reinstalled, a hand-run virsh undefine).
        await api.Fake.DestroyOutOfBandAsync(id);

        var stop = await (await tenant.PostAsync($"/v1/instances/{id}/actions/stop", null)).ExpectAsync(HttpStatusCode.Accepted);
        var op = await tenant.WaitForOperationAsync(stop["operationId"]!.GetValue<Guid>());
        Assert.Equal("failed", op.Str("status"));
        Assert.Contains("No VM", op["error"]!.Str("detail"));
    }

    private async Task<Guid> InjectAsync(object fault)
    {
        var response = await api.Admin().PostAsJsonAsync("/v1/simulation/faults", fault);
        return (await response.ExpectAsync(HttpStatusCode.Created)).Id();
    }
}
