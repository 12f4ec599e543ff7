using Microsoft.EntityFrameworkCore;
using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;
using Xunit;

namespace IaasApi.Api.Tests;

/// <summary>
/// Host failure: a silenced host stops beating, is declared down after Iaas:Health:HostDownAfterSeconds (30 s here)
/// and evacuated — its instances restart on other hosts in SLA priority order as capacity allows, stopped ones stay
/// stopped, deletes complete — and, when it answers again, is fenced (its stale copies destroyed) before it serves.
/// </summary>
public sealed class HostFailureTests(ApiFactory api)
{
    private static readonly TimeSpan Beat = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task SilentHost_IsEvacuatedByPriority_AndFencedWhenItReturns()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostVcpus: 6, flavorVcpus: 2);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var (a, b) = (cloud.HostIds[0], cloud.HostIds[1]);
        var (gold, silver, bronze) = (await api.PlanAsync(500, false), await api.PlanAsync(300, false), await api.PlanAsync(100, false));

        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "disabled" })).EnsureSuccessStatusCode();
        var low = (await tenant.CreateOkAsync(cloud, planId: bronze)).Id();      // created first: order is by priority, not age
        var high = (await tenant.CreateOkAsync(cloud, planId: gold)).Id();
        var mid = (await tenant.CreateOkAsync(cloud, planId: silver)).Id();
        foreach (var vm in new[] { low, high, mid }) await tenant.WaitForStatusAsync(vm, "running");
        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "enabled" })).EnsureSuccessStatusCode();
        var squatter = (await tenant.CreateOkAsync(cloud)).Id();                 // B keeps room for two of A's three
        await tenant.WaitForStatusAsync(squatter, "running");
        await api.TickAsync();
        Assert.NotNull((await admin.GetJson($"/v1/hosts/{a}"))["lastHeartbeatAt"]);
        Assert.Null((await admin.GetJson($"/v1/hosts/{a}"))["reported"]);        // a fake host has no hardware to report

        await Silence(a, true);
        await api.AdvanceAsync(Beat);
        await api.AdvanceAsync(Beat);
        Assert.Equal("enabled", (await admin.GetJson($"/v1/hosts/{a}")).Str("state"));   // 20 s of silence is not down yet
        for (var i = 0; i < 3; i++) await api.AdvanceAsync(Beat);

        var host = await admin.GetJson($"/v1/hosts/{a}");
        Assert.Equal("down", host.Str("state"));
        Assert.NotNull(host["downSince"]);
        Assert.Equal(0, await api.AllocatedVcpusAsync(a));
        var evacuation = (await admin.GetJson($"/v1/operations?kind=host.evacuate&resourceId={a}"))["items"]!.AsArray().Single()!;
        Assert.Equal("succeeded", evacuation.Str("status"));
        Assert.Contains("3 restart on other hosts", evacuation.Str("statusReason"));

        await tenant.WaitForStatusAsync(high, "running");
        await tenant.WaitForStatusAsync(mid, "running");
        var waiting = await tenant.WaitForStatusAsync(low, "suspended");
        Assert.Contains("restarts on another host", waiting.Str("statusReason"));
        foreach (var vm in new[] { high, mid })
        {
            Assert.Equal(b, (await admin.GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>());
            Assert.Equal(b, api.Fake.Find(vm)!.HostId);
        }
        Assert.Equal(6, await api.AllocatedVcpusAsync(b));
        // The cut-off host still runs its copies, unseen: the two restarted ones as stale copies, the waiting one as it was.
        Assert.Equal(new[] { high, low, mid }.Order(), api.Fake.VmsOn(a).Select(v => v.InstanceId).Order());
        var trail = (await admin.GetJson($"/v1/instances/{high}/actions"))["items"]!.AsArray().Select(x => x!.Str("action")).ToList();
        Assert.Contains("host-failed", trail);

        // Back: it beats again, is fenced (the stale copies destroyed) and serves again; then the waiting VM fits there.
        await Silence(a, false);
        await api.AdvanceAsync(Beat);
        var fence = (await admin.GetJson($"/v1/operations?kind=host.fence&resourceId={a}"))["items"]!.AsArray().Single()!;
        var fenced = await admin.WaitForOperationAsync(fence.Id());
        Assert.Equal("succeeded", fenced.Str("status"));
        Assert.Contains("destroyed 3 stale VM copies", fenced.Str("statusReason"));
        Assert.Equal("enabled", (await admin.GetJson($"/v1/hosts/{a}")).Str("state"));
        // No stale copy is left: whatever runs on A now (the fence's queue pass may already have restarted the waiting
        // VM there) is what the control plane places there.
        foreach (var vm in api.Fake.VmsOn(a))
            Assert.Equal(a, (await admin.GetJson($"/v1/instances/{vm.InstanceId}"))["hostId"]!.GetValue<Guid>());
        Assert.DoesNotContain(api.Fake.VmsOn(a), v => v.InstanceId == high || v.InstanceId == mid);
        Assert.DoesNotContain(api.Fake.Zombies(), z => z.HostId == a);
        await api.TickAsync();
        await tenant.WaitForStatusAsync(low, "running");
        foreach (var vm in new[] { high, mid, low, squatter })
            Assert.Equal((await admin.GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>(), api.Fake.Find(vm)!.HostId);
        Assert.Equal(8, await api.AllocatedVcpusAsync(a) + await api.AllocatedVcpusAsync(b));
    }

    [Fact]
    public async Task DownHost_StoppedInstancesStayStopped_DeletesComplete_AndWorkInFlightEnds()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostVcpus: 8, flavorVcpus: 2);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var (a, b) = (cloud.HostIds[0], cloud.HostIds[1]);
        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "disabled" })).EnsureSuccessStatusCode();
        var stopped = (await tenant.CreateOkAsync(cloud)).Id();
        var doomed = (await tenant.CreateOkAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(stopped, "running");
        await tenant.WaitForStatusAsync(doomed, "running");
        (await tenant.PostAsync($"/v1/instances/{stopped}/actions/stop", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(stopped, "stopped");
        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "enabled" })).EnsureSuccessStatusCode();
        var before = await tenant.UsageAsync("vcpus");
        await api.TickAsync();

        await Silence(a, true);
        // The delete meets an unreachable host: its job retries, then the host is declared down and the delete completes.
        var deleting = await (await tenant.DeleteAsync($"/v1/instances/{doomed}")).ExpectAsync(HttpStatusCode.Accepted);
        for (var i = 0; i < 5; i++) await api.AdvanceAsync(Beat);

        Assert.Equal("down", (await admin.GetJson($"/v1/hosts/{a}")).Str("state"));
        await tenant.WaitForStatusAsync(doomed, "deleted");
        var deleteOp = await tenant.WaitForOperationAsync(deleting["operationId"]!.GetValue<Guid>());
        Assert.Equal("failed", deleteOp.Str("status"));
        Assert.EndsWith("host-failed", deleteOp["error"]!.Str("type"));
        Assert.Equal(before - 2, await tenant.UsageAsync("vcpus"));
        var still = await tenant.WaitForStatusAsync(stopped, "stopped");
        Assert.Contains("starting it places it on another host", still.Str("statusReason"));
        Assert.Equal(0, await api.AllocatedVcpusAsync(a));

        // Starting it places it on the surviving host (the down one takes nothing).
        (await tenant.PostAsync($"/v1/instances/{stopped}/actions/start", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(stopped, "running");
        Assert.Equal(b, (await admin.GetJson($"/v1/instances/{stopped}"))["hostId"]!.GetValue<Guid>());
        Assert.Equal(2, await api.AllocatedVcpusAsync(b));
        var placed = (await tenant.CreateOkAsync(cloud)).Id();
        Assert.Equal(b, (await admin.GetJson($"/v1/instances/{placed}"))["hostId"]!.GetValue<Guid>());

        await Silence(a, false);
        await api.AdvanceAsync(Beat);
        var fence = (await admin.GetJson($"/v1/operations?kind=host.fence&resourceId={a}"))["items"]!.AsArray().Single()!;
        Assert.Equal("succeeded", (await admin.WaitForOperationAsync(fence.Id())).Str("status"));
        Assert.Empty(api.Fake.VmsOn(a));
        Assert.Equal(b, api.Fake.Find(stopped)!.HostId);
    }

    [Fact]
    public async Task ShortSilence_OrAGapInWatching_DoesNotTakeAHostDown()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 4, flavorVcpus: 2);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var a = cloud.HostIds[0];
        var vm = (await tenant.CreateOkAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(vm, "running");
        await api.TickAsync();

        await Silence(a, true);
        await api.AdvanceAsync(Beat);
        await api.AdvanceAsync(Beat);
        await Silence(a, false);
        await api.AdvanceAsync(Beat);
        for (var i = 0; i < 4; i++) await api.AdvanceAsync(Beat);
        Assert.Equal("enabled", (await admin.GetJson($"/v1/hosts/{a}")).Str("state"));

        // The control plane itself away for ten minutes: on its return no host is judged on silence it did not watch.
        await Silence(a, true);
        await api.AdvanceAsync(TimeSpan.FromMinutes(10));
        Assert.Equal("enabled", (await admin.GetJson($"/v1/hosts/{a}")).Str("state"));
        await Silence(a, false);
        await api.AdvanceAsync(Beat);
        Assert.Equal("running", await tenant.StatusAsync(vm));
        Assert.Empty((await admin.GetJson($"/v1/operations?kind=host.evacuate&resourceId={a}"))["items"]!.AsArray());

        await (await admin.PutAsJsonAsync($"/v1/simulation/hosts/{a}/silence", new { })).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await admin.PutAsJsonAsync($"/v1/simulation/hosts/{Guid.CreateVersion7()}/silence", new { silent = true }))
            .ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await tenant.PutAsJsonAsync($"/v1/simulation/hosts/{a}/silence", new { silent = true })).ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await (await admin.PatchAsJsonAsync($"/v1/hosts/{a}", new { state = "down" })).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task WhenNoHostTheControlPlaneBeatsFor_IsHeardFrom_TheSilenceIsItsOwn_AndNoHostIsDeclaredDown()
    {
        var cloud = await api.SeedAsync(hosts: 2);
        var tenant = api.Client(cloud.TenantKey);
        var vm = (await tenant.CreateOkAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(vm, "running");
        await api.TickAsync();
        // Every fake host silent at once: their heartbeats all come from the control plane's own workers, so this is those
        // workers stalled (seen under a 10,000-instance burst on 2 cores), not every host dead.
        var all = await api.WithDbAsync(db => db.Hosts.Where(h => h.Hypervisor == "fake").Select(h => h.Id).ToListAsync());
        try
        {
            foreach (var id in all) api.Fake.Silence(id, true);
            for (var i = 0; i < 6; i++) await api.AdvanceAsync(Beat);
            foreach (var host in cloud.HostIds) Assert.Equal("enabled", (await api.Admin().GetJson($"/v1/hosts/{host}")).Str("state"));
            Assert.Equal("running", (await tenant.GetJson($"/v1/instances/{vm}")).Str("status"));
        }
        finally
        {
            foreach (var id in all) api.Fake.Silence(id, false);
        }
        await api.AdvanceAsync(Beat);
        // One host silent while the others beat: that one is down.
        await Silence(cloud.HostIds[0], true);
        for (var i = 0; i < 5; i++) await api.AdvanceAsync(Beat);
        Assert.Equal("down", (await api.Admin().GetJson($"/v1/hosts/{cloud.HostIds[0]}")).Str("state"));
        await Silence(cloud.HostIds[0], false);
        await api.AdvanceAsync(Beat);
    }

    [Fact]
    public async Task EvacuatedInstance_IsOnNoHost_SoItsServerGroupDoesNotKeepItFromRestarting()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostVcpus: 8, flavorVcpus: 2);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var (a, b) = (cloud.HostIds[0], cloud.HostIds[1]);
        var group = (await tenant.PostOk("/v1/server-groups", new { name = TestCloud.Unique("web"), policy = "anti-affinity" })).Id();
        async Task<Guid> MemberAsync() => (await (await tenant.PostAsJsonAsync("/v1/instances", new
        {
            name = TestCloud.Unique("web"), flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = cloud.ZoneId,
            serverGroupId = group,
        })).ExpectAsync(HttpStatusCode.Accepted)).Id();
        var first = await MemberAsync();
        var second = await MemberAsync();
        foreach (var vm in new[] { first, second }) await tenant.WaitForStatusAsync(vm, "running");
        var onA = (await admin.GetJson($"/v1/instances/{first}"))["hostId"]!.GetValue<Guid>() == a ? first : second;
        await api.TickAsync();

        // A fails: its member cannot restart on B (the other member is there), so it waits — on no host.
        await Silence(a, true);
        for (var i = 0; i < 5; i++) await api.AdvanceAsync(Beat);
        Assert.Equal("down", (await admin.GetJson($"/v1/hosts/{a}")).Str("state"));
        var waiting = await admin.WaitForStatusAsync(onA, "suspended");
        Assert.Null(waiting["hostId"]);
        Assert.Equal(a, waiting["lastHostId"]!.GetValue<Guid>());
        Assert.Null((await tenant.GetJson($"/v1/instances/{onA}"))["lastHostId"]);          // operator knowledge, as hostId is

        // A returns (fenced, enabled, empty): the member it held before restarts there; nothing counts it there any more.
        await Silence(a, false);
        await api.AdvanceAsync(Beat);
        await api.TickAsync();
        var back = await admin.WaitForStatusAsync(onA, "running");
        Assert.Equal(a, back["hostId"]!.GetValue<Guid>());
        Assert.Equal(2, await api.AllocatedVcpusAsync(a));
    }

    [Fact]
    public async Task EvacuatedInstance_DeletedWhileItsHostIsDown_IsDeletedAtOnce_AndItsCopyGoesAtFencing()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostVcpus: 8, flavorVcpus: 2);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var (a, b) = (cloud.HostIds[0], cloud.HostIds[1]);
        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "disabled" })).EnsureSuccessStatusCode();
        var vm = (await tenant.CreateOkAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(vm, "running");
        await api.TickAsync();

        // Its host fails and nothing else can take it: it waits, on no host, its copy still on the silent host.
        await Silence(a, true);
        for (var i = 0; i < 5; i++) await api.AdvanceAsync(Beat);
        await tenant.WaitForStatusAsync(vm, "suspended");
        Assert.Contains(api.Fake.VmsOn(a), v => v.InstanceId == vm);

        // Deleting it needs nothing from the unreachable host: deleted now, its quota back.
        var before = await tenant.UsageAsync("vcpus");
        var deleting = await (await tenant.DeleteAsync($"/v1/instances/{vm}")).ExpectAsync(HttpStatusCode.Accepted);
        await tenant.WaitForStatusAsync(vm, "deleted", timeoutMs: 5000);
        Assert.Equal("succeeded", (await tenant.WaitForOperationAsync(deleting["operationId"]!.GetValue<Guid>())).Str("status"));
        Assert.Equal(before - 2, await tenant.UsageAsync("vcpus"));

        // Back: fencing destroys the copy it left.
        await Silence(a, false);
        await api.AdvanceAsync(Beat);
        var fence = (await admin.GetJson($"/v1/operations?kind=host.fence&resourceId={a}"))["items"]!.AsArray().Single()!;
        Assert.Equal("succeeded", (await admin.WaitForOperationAsync(fence.Id())).Str("status"));
        Assert.DoesNotContain(api.Fake.VmsOn(a), v => v.InstanceId == vm);
        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "enabled" })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task AffinityGroup_EvacuatedTogether_RestartsTogetherOnAnotherHost()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostVcpus: 8, flavorVcpus: 2);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var (a, b) = (cloud.HostIds[0], cloud.HostIds[1]);
        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "disabled" })).EnsureSuccessStatusCode();
        var group = (await tenant.PostOk("/v1/server-groups", new { name = TestCloud.Unique("db"), policy = "affinity" })).Id();
        var members = new List<Guid>();
        for (var i = 0; i < 2; i++)
            members.Add((await (await tenant.PostAsJsonAsync("/v1/instances", new
            {
                name = TestCloud.Unique("db"), flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = cloud.ZoneId,
                serverGroupId = group,
            })).ExpectAsync(HttpStatusCode.Accepted)).Id());
        foreach (var vm in members) await tenant.WaitForStatusAsync(vm, "running");
        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "enabled" })).EnsureSuccessStatusCode();
        await api.TickAsync();

        // Their host fails: the group has no member on any host any more, so the first to restart may go anywhere, the next joins it.
        await Silence(a, true);
        for (var i = 0; i < 5; i++) await api.AdvanceAsync(Beat);
        foreach (var vm in members) Assert.Equal(b, (await admin.WaitForStatusAsync(vm, "running"))["hostId"]!.GetValue<Guid>());
        await Silence(a, false);
        await api.AdvanceAsync(Beat);
    }

    private async Task Silence(Guid hostId, bool silent) =>
        Assert.Equal(silent, (await (await api.Admin().PutAsJsonAsync($"/v1/simulation/hosts/{hostId}/silence", new { silent }))
            .ExpectAsync(HttpStatusCode.OK))["silent"]!.GetValue<bool>());
}
