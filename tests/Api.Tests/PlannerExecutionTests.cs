using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// The planners executed on request: consolidation live-migrates instances onto fewer hosts and powers the freed ones
/// off (placement wakes one again when it needs it); rebalancing spreads a packed zone below the target imbalance.
/// The fake plays each live migration against the test clock, which these tests advance.
/// </summary>
public sealed class PlannerExecutionTests(ApiFactory api)
{
    private async Task<JsonObject> RunAsync(Guid operationId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var op = await api.Admin().GetJson($"/v1/operations/{operationId}");
            if (op.Str("status") != "running") return op;
            Assert.True(DateTime.UtcNow < deadline, $"The plan did not finish: {op.ToJsonString()}");
            api.Clock.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(20);
        }
    }

    private async Task<Dictionary<Guid, int>> VmsPerHostAsync(Cloud cloud, IEnumerable<Guid> vms)
    {
        var count = cloud.HostIds.ToDictionary(h => h, _ => 0);
        foreach (var vm in vms)
        {
            var instance = await api.Admin().GetJson($"/v1/instances/{vm}");
            Assert.Equal("running", instance.Str("status"));
            var host = instance["hostId"]!.GetValue<Guid>();
            Assert.Equal(host, api.Fake.Find(vm)!.HostId);
            count[host]++;
        }
        return count;
    }

    [Fact]
    public async Task Consolidation_Executed_EmptiesHostsAndPowersThemOff_AndPlacementWakesOneWhenItNeedsIt()
    {
        var cloud = await api.SeedAsync(hosts: 3, hostVcpus: 8, flavorVcpus: 2, flavorMemoryMiB: 1024);     // spread: one per host
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var vms = new List<Guid>();
        for (var i = 0; i < 3; i++) vms.Add((await tenant.CreateOkAsync(cloud)).Id());
        foreach (var vm in vms) await tenant.WaitForStatusAsync(vm, "running");
        Assert.All((await VmsPerHostAsync(cloud, vms)).Values, c => Assert.Equal(1, c));

        var started = await (await admin.PostAsJsonAsync("/v1/planners/consolidation/execute", new { zoneId = cloud.ZoneId }))
            .ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal((2, 2), (started["plan"]!["hostsFreed"]!.GetValue<int>(), started["plan"]!["migrations"]!.GetValue<int>()));
        var again = await (await admin.PostAsJsonAsync("/v1/planners/consolidation/execute", new { zoneId = cloud.ZoneId }))
            .ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(started["operationId"]!.GetValue<Guid>(), again["operationId"]!.GetValue<Guid>());    // one plan per zone at a time
        await (await admin.PostAsJsonAsync("/v1/planners/rebalance/execute", new { zoneId = cloud.ZoneId }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");

        var done = await RunAsync(started["operationId"]!.GetValue<Guid>());
        Assert.Equal(("succeeded", "zone.consolidate"), (done.Str("status"), done.Str("kind")));
        Assert.Contains("2 of 2 migration(s) completed", done.Str("statusReason"));
        Assert.Contains("2 of 2 freed host(s) powered off", done.Str("statusReason"));
        var perHost = await VmsPerHostAsync(cloud, vms);
        var kept = perHost.Single(p => p.Value == 3).Key;
        var freed = started["plan"]!["freedHostIds"]!.AsArray().Select(x => x!.GetValue<Guid>()).ToList();
        Assert.DoesNotContain(kept, freed);
        foreach (var host in freed)
        {
            var h = await admin.GetJson($"/v1/hosts/{host}");
            Assert.Equal(("off", 0), (h.Str("power"), h["allocated"]!["vcpus"]!.GetValue<int>()));
            var off = (await admin.GetJson($"/v1/operations?kind=host.power-off&resourceId={host}"))["items"]!.AsArray().Single()!;
            Assert.Equal("succeeded", (await admin.WaitForOperationAsync(off.Id())).Str("status"));
            Assert.True(api.Fake.IsPoweredOff(host));
        }

        // The kept host has room for one more; the one after wakes a freed host.
        vms.Add((await tenant.CreateOkAsync(cloud)).Id());
        var woke = (await tenant.CreateOkAsync(cloud)).Id();
        vms.Add(woke);
        await tenant.WaitForStatusAsync(woke, "running");
        var wokenHost = (await admin.GetJson($"/v1/instances/{woke}"))["hostId"]!.GetValue<Guid>();
        Assert.Contains(wokenHost, freed);
        Assert.Equal("on", (await admin.GetJson($"/v1/hosts/{wokenHost}")).Str("power"));
        Assert.Equal(5, (await VmsPerHostAsync(cloud, vms)).Values.Sum());
    }

    [Fact]
    public async Task Rebalance_DryRunThenExecuted_SpreadsAPackedZoneBelowTheTarget()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostVcpus: 16, flavorVcpus: 2, strategy: "pack");
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var vms = new List<Guid>();
        for (var i = 0; i < 4; i++) vms.Add((await tenant.CreateOkAsync(cloud)).Id());
        foreach (var vm in vms) await tenant.WaitForStatusAsync(vm, "running");
        Assert.Contains(4, (await VmsPerHostAsync(cloud, vms)).Values);

        var dry = await (await admin.PostAsJsonAsync("/v1/planners/rebalance", new { zoneId = cloud.ZoneId, targetImbalance = 0.05 }))
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal((0.25, 0.0, 2), (dry["imbalanceBefore"]!.GetValue<double>(), dry["imbalanceAfter"]!.GetValue<double>(),
                                      dry["migrations"]!.GetValue<int>()));
        Assert.Contains(4, (await VmsPerHostAsync(cloud, vms)).Values);                                       // a dry run moves nothing
        await (await admin.PostAsJsonAsync("/v1/planners/rebalance", new { zoneId = cloud.ZoneId, targetImbalance = 2 }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await admin.PostAsJsonAsync("/v1/planners/rebalance", new { zoneId = Guid.NewGuid() })).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(HttpStatusCode.Forbidden, (await tenant.PostAsJsonAsync("/v1/planners/rebalance", new { zoneId = cloud.ZoneId })).StatusCode);

        var started = await (await admin.PostAsJsonAsync("/v1/planners/rebalance/execute", new { zoneId = cloud.ZoneId, targetImbalance = 0.05 }))
            .ExpectAsync(HttpStatusCode.Accepted);
        var done = await RunAsync(started["operationId"]!.GetValue<Guid>());
        Assert.Equal(("succeeded", "zone.rebalance"), (done.Str("status"), done.Str("kind")));
        Assert.Contains("2 of 2 migration(s) completed", done.Str("statusReason"));
        Assert.All((await VmsPerHostAsync(cloud, vms)).Values, c => Assert.Equal(2, c));
        Assert.Equal((4, 4), (await api.AllocatedVcpusAsync(cloud.HostIds[0]), await api.AllocatedVcpusAsync(cloud.HostIds[1])));
        var after = await (await admin.PostAsJsonAsync("/v1/planners/rebalance", new { zoneId = cloud.ZoneId })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal((0.0, 0), (after["imbalanceBefore"]!.GetValue<double>(), after["migrations"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Consolidation_KeepsAntiAffinityMembersApart_AndFreesOnlyWhatPlacementAllows()
    {
        var cloud = await api.SeedAsync(hosts: 3, hostVcpus: 8, flavorVcpus: 2, flavorMemoryMiB: 1024);     // spread: one per host
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var group = (await tenant.PostOk("/v1/server-groups", new { name = TestCloud.Unique("web"), policy = "anti-affinity" })).Id();
        var vms = new List<Guid>();
        for (var i = 0; i < 2; i++)
            vms.Add((await (await tenant.PostAsJsonAsync("/v1/instances", new
            {
                name = TestCloud.Unique("web"), flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = cloud.ZoneId,
                serverGroupId = group,
            })).ExpectAsync(HttpStatusCode.Accepted)).Id());
        vms.Add((await tenant.CreateOkAsync(cloud)).Id());
        foreach (var vm in vms) await tenant.WaitForStatusAsync(vm, "running");
        Assert.All((await VmsPerHostAsync(cloud, vms)).Values, c => Assert.Equal(1, c));

        // Capacity alone would put all three on one host (two freed); the group keeps its two members apart: one freed.
        var dry = await (await admin.PostAsJsonAsync("/v1/planners/consolidation", new { zoneId = cloud.ZoneId })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal((1, 1), (dry["hostsFreed"]!.GetValue<int>(), dry["migrations"]!.GetValue<int>()));
        Assert.Equal(vms[2], dry["moves"]!.AsArray().Single()!["instanceId"]!.GetValue<Guid>());

        var started = await (await admin.PostAsJsonAsync("/v1/planners/consolidation/execute", new { zoneId = cloud.ZoneId }))
            .ExpectAsync(HttpStatusCode.Accepted);
        var done = await RunAsync(started["operationId"]!.GetValue<Guid>());
        Assert.Equal("succeeded", done.Str("status"));
        Assert.Contains("1 of 1 migration(s) completed", done.Str("statusReason"));
        Assert.Contains("1 of 1 freed host(s) powered off", done.Str("statusReason"));
        var perHost = await VmsPerHostAsync(cloud, vms);
        Assert.Equal([0, 1, 2], perHost.Values.Order());
        var members = new HashSet<Guid>();
        foreach (var vm in vms.Take(2)) members.Add((await admin.GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>());
        Assert.Equal(2, members.Count);
    }

    [Fact]
    public async Task PlanExecution_ThatDoesOnlyPartOfItsPlan_FailsAsPartiallyCompleted_WithTheReason()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostVcpus: 16, flavorVcpus: 2, strategy: "pack");
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var vms = new List<Guid>();
        for (var i = 0; i < 4; i++) vms.Add((await tenant.CreateOkAsync(cloud)).Id());
        foreach (var vm in vms) await tenant.WaitForStatusAsync(vm, "running");
        var packed = (await VmsPerHostAsync(cloud, vms)).Single(p => p.Value == 4).Key;

        var started = await (await admin.PostAsJsonAsync("/v1/planners/rebalance/execute", new { zoneId = cloud.ZoneId, targetImbalance = 0.05 }))
            .ExpectAsync(HttpStatusCode.Accepted);
        var moves = started["plan"]!["moves"]!.AsArray().Select(m => m!["instanceId"]!.GetValue<Guid>()).ToList();
        Assert.Equal(2, moves.Count);
        // The fake plays migrations on the test clock, which has not moved: the fault lands before the first round ends.
        api.Fake.InjectFault(IaasApi.Infrastructure.Hypervisors.Fake.FakeOperation.Migrate, packed, moves[0], transient: false, count: 1, "link down");
        var done = await RunAsync(started["operationId"]!.GetValue<Guid>());

        Assert.Equal("failed", done.Str("status"));
        Assert.EndsWith("/partially-completed", done["error"]!.Str("type"));
        var detail = done["error"]!.Str("detail");
        Assert.Contains("1 of 2 migration(s) completed", detail);
        Assert.Contains($"Failed: {moves[0]}", detail);
        Assert.Equal(detail, done.Str("statusReason"));
    }
}
