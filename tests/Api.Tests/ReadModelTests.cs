using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// What dashboards read, through the public API: the overview's per-zone sums against the hosts themselves, the
/// best-effort queue in order with each tenant's own places, lists newest first, the SLA-plan filter, and a live
/// migration's memory still to send as pre-copy goes on.
/// </summary>
public sealed class ReadModelTests(ApiFactory api)
{
    [Fact]
    public async Task Overview_SumsEachZonesHosts_AndATenantSeesOnlyItsOwnInstances()
    {
        var cloud = await api.SeedAsync(hosts: 3, hostVcpus: 8, cpuRatio: 2.0);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var vms = new List<Guid>();
        for (var i = 0; i < 3; i++) vms.Add((await tenant.CreateOkAsync(cloud)).Id());
        foreach (var vm in vms) await tenant.WaitForStatusAsync(vm, "running");
        (await tenant.PostAsync($"/v1/instances/{vms[0]}/actions/stop", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(vms[0], "stopped");
        (await admin.PatchAsJsonAsync($"/v1/hosts/{cloud.HostIds[2]}", new { state = "disabled" })).EnsureSuccessStatusCode();

        // The zone's figures are the sums of its hosts' own: usable = (capacity − reserved) × ratio.
        var zone = (await admin.GetJson("/v1/overview"))["zones"]!.AsArray().Single(z => z!["zoneId"]!.GetValue<Guid>() == cloud.ZoneId)!;
        var hosts = (await admin.GetJson($"/v1/hosts?zoneId={cloud.ZoneId}"))["items"]!.AsArray();
        double Sum(Func<JsonNode, double> of) => hosts.Sum(h => of(h!));
        double Usable(JsonNode h, string resource, string ratio) =>
            (h["capacity"]![resource]!.GetValue<double>() - (h["reserved"]?[resource]?.GetValue<double>() ?? 0)) * h["allocationRatios"]![ratio]!.GetValue<double>();
        Assert.Equal(3, zone["hosts"]!.GetValue<int>());
        Assert.Equal((2, 1, 0), (zone["hostsByState"]!["enabled"]!.GetValue<int>(), zone["hostsByState"]!["disabled"]!.GetValue<int>(),
                                 zone["hostsByState"]!["down"]!.GetValue<int>()));
        Assert.Equal(Sum(h => Usable(h, "vcpus", "cpu")), zone["usable"]!["vcpus"]!.GetValue<double>());
        Assert.Equal(Sum(h => Usable(h, "memoryMiB", "memory")), zone["usable"]!["memoryMiB"]!.GetValue<double>());
        Assert.Equal(48, zone["usable"]!["vcpus"]!.GetValue<int>());                     // 3 × 8 × 2.0: overcommit counts
        Assert.Equal(Sum(h => h["allocated"]!["vcpus"]!.GetValue<double>()), zone["allocated"]!["vcpus"]!.GetValue<double>());
        Assert.Equal(Sum(h => h["allocated"]!["diskGiB"]!.GetValue<double>()), zone["allocated"]!["diskGiB"]!.GetValue<double>());
        Assert.Equal(Sum(h => h["instanceCount"]!.GetValue<double>()), zone["instances"]!.GetValue<double>());
        Assert.Equal(3, zone["instances"]!.GetValue<int>());

        // A tenant: no zones, its own instances by status; another tenant sees none of them.
        var mine = await tenant.GetJson("/v1/overview");
        Assert.Empty(mine["zones"]!.AsArray());
        Assert.Equal((2, 1), (mine["instancesByStatus"]!["running"]!.GetValue<int>(), mine["instancesByStatus"]!["stopped"]!.GetValue<int>()));
        Assert.Equal(2, mine["instancesByStatus"]!.AsObject().Count);
        var (_, otherKey) = await api.NewTenantAsync();
        var theirs = await api.Client(otherKey).GetJson("/v1/overview");
        Assert.Empty(theirs["instancesByStatus"]!.AsObject());
        Assert.Equal((0, 0), (theirs["queueLength"]!.GetValue<int>(), theirs["operationsInFlight"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Queue_ListsTheWaitersInOrder_WithWhy_AndEachTenantSeesItsOwnPlaces()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 4, flavorVcpus: 2);
        var a = api.Client(cloud.TenantKey);
        var (_, otherKey) = await api.NewTenantAsync(new { instances = -1, vcpus = -1, memoryMiB = -1 });
        var b = api.Client(otherKey);
        var running = (await a.CreateOkAsync(cloud)).Id();
        await a.CreateOkAsync(cloud);
        var first = (await a.CreateOkAsync(cloud, scheme: "best-effort")).Id();
        var second = (await b.CreateOkAsync(cloud, scheme: "best-effort")).Id();
        var third = (await a.CreateOkAsync(cloud, scheme: "best-effort")).Id();

        var all = await api.Admin().GetJson($"/v1/queue?zoneId={cloud.ZoneId}");
        var items = all["items"]!.AsArray();
        Assert.Equal(3, all["total"]!.GetValue<int>());
        Assert.Equal([first, second, third], items.Select(i => i!["instanceId"]!.GetValue<Guid>()));
        Assert.Equal([1, 2, 3], items.Select(i => i!["position"]!.GetValue<int>()));
        Assert.All(items, i => Assert.Contains("Waiting for capacity", i!.Str("statusReason")));
        Assert.All(items, i => Assert.Equal(("pending", cloud.ZoneId), (i!.Str("status"), i!["zoneId"]!.GetValue<Guid>())));
        var one = await api.Admin().GetJson($"/v1/queue?zoneId={cloud.ZoneId}&limit=1");
        Assert.Equal((1, 3), (one["items"]!.AsArray().Count, one["total"]!.GetValue<int>()));

        // Each tenant: its own entries, at their places in the whole queue; the overview counts its own.
        var ofA = (await a.GetJson($"/v1/queue?zoneId={cloud.ZoneId}"))["items"]!.AsArray();
        Assert.Equal([(first, 1), (third, 3)], ofA.Select(i => (i!["instanceId"]!.GetValue<Guid>(), i["position"]!.GetValue<int>())));
        var ofB = (await b.GetJson($"/v1/queue?zoneId={cloud.ZoneId}"))["items"]!.AsArray();
        Assert.Equal([(second, 2)], ofB.Select(i => (i!["instanceId"]!.GetValue<Guid>(), i["position"]!.GetValue<int>())));
        // Without a zone the place is in the whole queue, which other zones' waiters (other tests here) may share.
        var everywhere = (await b.GetJson("/v1/queue"))["items"]!.AsArray().Single()!;
        Assert.Equal(second, everywhere["instanceId"]!.GetValue<Guid>());
        Assert.True(everywhere["position"]!.GetValue<int>() >= 2);
        Assert.Equal(2, (await a.GetJson("/v1/overview"))["queueLength"]!.GetValue<int>());

        // A delete frees room: the head of the queue starts and the others move up.
        await a.WaitForStatusAsync(running, "running");
        (await a.DeleteAsync($"/v1/instances/{running}")).EnsureSuccessStatusCode();
        await a.WaitForStatusAsync(first, "running");
        var after = (await api.Admin().GetJson($"/v1/queue?zoneId={cloud.ZoneId}"))["items"]!.AsArray();
        Assert.Equal([(second, 1), (third, 2)], after.Select(i => (i!["instanceId"]!.GetValue<Guid>(), i["position"]!.GetValue<int>())));
    }

    [Fact]
    public async Task Lists_PageNewestFirst_WithOrderDesc_AndInstancesFilterBySlaPlan()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++) created.Add((await tenant.CreateOkAsync(cloud)).Id());
        var otherPlan = await api.PlanAsync(500, preemptible: false, "immediate");
        var onOtherPlan = (await tenant.CreateOkAsync(cloud, planId: otherPlan)).Id();
        created.Add(onOtherPlan);

        async Task<List<Guid>> ReadAll(HttpClient client, string path)
        {
            var seen = new List<Guid>();
            string? token = null;
            do
            {
                var page = await client.GetJson($"{path}&limit=2{(token is null ? "" : $"&pageToken={token}")}");
                seen.AddRange(page["items"]!.AsArray().Select(i => i!.Id()));
                token = page["nextPageToken"]?.GetValue<string>();
            } while (token is not null);
            return seen;
        }

        var newestFirst = await ReadAll(tenant, "/v1/instances?order=desc");
        Assert.Equal(Enumerable.Reverse(created), newestFirst);                        // every one, once, newest first
        Assert.Equal(created, await ReadAll(tenant, "/v1/instances?order=asc"));
        Assert.Equal([onOtherPlan], (await tenant.GetJson($"/v1/instances?slaPlanId={otherPlan}"))["items"]!.AsArray().Select(i => i!.Id()));
        Assert.Equal(created[..5], (await tenant.GetJson($"/v1/instances?slaPlanId={cloud.PlanId}"))["items"]!.AsArray().Select(i => i!.Id()));

        // The tenant's audit trail (its six creates at least), newest first; a bad order is refused on every list that takes one.
        var admin = api.Admin();
        var trail = await ReadAll(admin, $"/v1/audit-events?tenantId={cloud.TenantId}");
        Assert.True(trail.Count >= 6, $"{trail.Count} audit events");
        Assert.Equal(Enumerable.Reverse(trail), await ReadAll(admin, $"/v1/audit-events?tenantId={cloud.TenantId}&order=desc"));
        foreach (var list in new[] { "audit-events", "migrations", "instances" })
            await (await admin.GetAsync($"/v1/{list}?order=newest")).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task LiveMigration_ReportsTheMemoryStillToSend_AsPreCopyGoesOn()
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorMemoryMiB: 4096, hostMemoryMiB: 65536);
        var tenant = api.Client(cloud.TenantKey);
        var vm = (await tenant.CreateOkAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(vm, "running");
        // 2 GiB written at 1,000 Mbit/s: the first round alone takes about 17 s of the fake's (test-clock) time.
        (await api.Admin().PutAsJsonAsync($"/v1/simulation/instances/{vm}/guest-memory", new { touchedMiB = 2048, workingSetMiB = 16, dirtyRateMiBps = 4 }))
            .EnsureSuccessStatusCode();
        var migration = (await api.MigrateOkAsync(vm, new { bandwidthMbps = 1000 })).Id();

        // Each look in pre-copy: less still to send, more sent, progress never back.
        var seen = new List<(double Remaining, double Sent, int Progress)>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (seen.Count < 4)
        {
            var m = await api.Admin().GetJson($"/v1/migrations/{migration}");
            if (m["stage"]?.GetValue<string>() == "pre-copy" && m["remainingMiB"] is JsonNode left && m["rounds"]!.AsArray().Count == 0
                && (seen.Count == 0 || left.GetValue<double>() < seen[^1].Remaining))
                seen.Add((left.GetValue<double>(), m["transferredMiB"]!.GetValue<double>(), m["progress"]!.GetValue<int>()));
            Assert.True(DateTime.UtcNow < deadline, $"Pre-copy's progress was seen {seen.Count} time(s): {m.ToJsonString()}");
            api.Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }
        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i].Sent > seen[i - 1].Sent, $"Sent did not grow: {string.Join("; ", seen)}");
            Assert.True(seen[i].Progress >= seen[i - 1].Progress, $"Progress went back: {string.Join("; ", seen)}");
        }
        Assert.InRange(seen[0].Remaining + seen[0].Sent, 2000, 2100);                    // what the guest has written, give or take

        var done = await api.SettleMigrationAsync(migration, TimeSpan.FromMilliseconds(500));
        Assert.Equal(("completed", 0.0, 100), (done.Str("status"), done["remainingMiB"]!.GetValue<double>(), done["progress"]!.GetValue<int>()));
    }

    [Fact]
    public async Task QueuePosition_IsTheSame_InTheListAndInSingleReads()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 4, flavorVcpus: 2);
        var tenant = api.Client(cloud.TenantKey);
        await tenant.CreateOkAsync(cloud);
        await tenant.CreateOkAsync(cloud);                                                   // full
        var queued = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            queued.Add((await tenant.CreateOkAsync(cloud, scheme: "best-effort")).Id());
            api.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var listed = (await tenant.GetJson($"/v1/instances?zoneId={cloud.ZoneId}&status=pending"))["items"]!.AsArray()
            .ToDictionary(i => i!.Id(), i => i!["queuePosition"]?.GetValue<int>());
        var single = new Dictionary<Guid, int?>();
        foreach (var id in queued) single[id] = (await tenant.GetJson($"/v1/instances/{id}"))["queuePosition"]?.GetValue<int>();
        var queue = (await tenant.GetJson("/v1/queue"))["items"]!.AsArray()                 // a tenant's own places in the whole queue
            .ToDictionary(e => e!["instanceId"]!.GetValue<Guid>(), e => (int?)e!["position"]!.GetValue<int>());

        Assert.All(queued, id => Assert.NotNull(listed[id]));
        Assert.Equal(queued.Select(id => single[id]), queued.Select(id => listed[id]));
        Assert.Equal(queued.Select(id => queue[id]), queued.Select(id => single[id]));
        Assert.True(single[queued[0]] < single[queued[1]] && single[queued[1]] < single[queued[2]]);   // first come, first served
    }

    [Fact]
    public async Task UserData_IsReadBackByItsOwnerAndAdmins_OnTheSingleRead()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        const string userData = "#cloud-config\npackages: [nginx]\n";
        var body = new { name = "with-user-data", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = cloud.ZoneId, userData };
        var id = (await (await tenant.PostAsJsonAsync("/v1/instances", body)).ExpectAsync(HttpStatusCode.Accepted)).Id();

        Assert.Equal(userData, (await tenant.GetJson($"/v1/instances/{id}")).Str("userData"));
        Assert.Equal(userData, (await api.Admin().GetJson($"/v1/instances/{id}")).Str("userData"));
        var (_, otherKey) = await api.NewTenantAsync();
        await (await api.Client(otherKey).GetAsync($"/v1/instances/{id}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        var listed = (await tenant.GetJson("/v1/instances?name=with-user-data"))["items"]!.AsArray().Single()!;
        Assert.Null(listed["userData"]);                                                     // lists stay small
    }
}
