using System.Net;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// Host power: an empty host powers off (no placement, no heartbeat expected of it), and placement wakes it when no
/// powered-on host can take a request — the request claims on it at once and its VM builds once it has booted.
/// </summary>
public sealed class HostPowerTests(ApiFactory api)
{
    [Fact]
    public async Task EmptyHost_PowersOff_AndPlacementWakesItWhenNothingElseFits()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostVcpus: 4, flavorVcpus: 2);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var (a, b) = (cloud.HostIds[0], cloud.HostIds[1]);

        var off = await (await admin.PostAsync($"/v1/hosts/{b}/actions/power-off", null)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("off", off.Str("power"));
        Assert.Equal("succeeded", (await admin.WaitForOperationAsync(off["operationId"]!.GetValue<Guid>())).Str("status"));
        Assert.True(api.Fake.IsPoweredOff(b));

        var first = (await tenant.CreateOkAsync(cloud)).Id();
        var second = (await tenant.CreateOkAsync(cloud)).Id();
        foreach (var vm in new[] { first, second })
            Assert.Equal(a, (await admin.GetJson($"/v1/instances/{(await tenant.WaitForStatusAsync(vm, "running")).Id()}"))["hostId"]!.GetValue<Guid>());
        await (await admin.PostAsync($"/v1/hosts/{a}/actions/power-off", null)).ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");

        // A powered-off host is silent by design: not declared down.
        for (var i = 0; i < 5; i++) await api.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(("enabled", "off"), ((await admin.GetJson($"/v1/hosts/{b}")).Str("state"), (await admin.GetJson($"/v1/hosts/{b}")).Str("power")));

        // Host A is full: B is woken for the third, which is accepted at once and runs there once B has booted.
        var third = await tenant.CreateOkAsync(cloud);
        Assert.Equal(b, (await admin.GetJson($"/v1/instances/{third.Id()}"))["hostId"]!.GetValue<Guid>());
        var woken = (await admin.GetJson($"/v1/operations?kind=host.power-on&resourceId={b}"))["items"]!.AsArray().Single()!;
        Assert.Contains("placement needs its capacity", woken.Str("statusReason"));
        await tenant.WaitForStatusAsync(third.Id(), "running");
        Assert.Equal("on", (await admin.GetJson($"/v1/hosts/{b}")).Str("power"));
        Assert.False(api.Fake.IsPoweredOff(b));
        Assert.Equal(b, api.Fake.Find(third.Id())!.HostId);
        Assert.Equal((4, 2), (await api.AllocatedVcpusAsync(a), await api.AllocatedVcpusAsync(b)));

        // Nothing left to wake: the next is refused as before.
        await (await tenant.CreateAsync(cloud)).ExpectAsync(HttpStatusCode.Accepted);
        await (await tenant.CreateAsync(cloud)).ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
    }
}
