using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>The best-effort queue: accepted as pending instead of refused, FCFS within priority, backfilling, expiry.</summary>
public sealed class BestEffortTests(ApiFactory api)
{
    [Fact]
    public async Task BestEffort_WaitsWhenFull_AndStartsWhenADeleteFreesCapacity()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 4, flavorVcpus: 2);
        var tenant = api.Client(cloud.TenantKey);
        var first = await tenant.CreateOkAsync(cloud);
        await tenant.CreateOkAsync(cloud);

        // Immediate is refused when full; best-effort is accepted and waits, saying why and where it stands.
        await (await tenant.CreateAsync(cloud, scheme: "immediate")).ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        var queued = await tenant.CreateOkAsync(cloud, scheme: "best-effort");
        Assert.Equal(("pending", "best-effort"), (queued.Str("status"), queued.Str("scheme")));
        Assert.Contains("Waiting for capacity", queued.Str("statusReason"));
        var read = await tenant.GetJson($"/v1/instances/{queued.Id()}");
        Assert.True(read["queuePosition"]!.GetValue<int>() >= 1);
        var op = await tenant.GetJson($"/v1/operations/{queued["operationId"]}");
        Assert.Equal(("running", true), (op.Str("status"), op["waiting"]!.GetValue<bool>()));
        Assert.Contains("vcpus", op.Str("statusReason"));
        Assert.Equal(3, await tenant.UsageAsync());   // quotas cover pending instances too

        // A delete frees capacity: the queue starts the waiting instance without anyone asking.
        await tenant.WaitForStatusAsync(first.Id(), "running");
        (await tenant.DeleteAsync($"/v1/instances/{first.Id()}")).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(queued.Id(), "running");
        Assert.Equal("succeeded", (await tenant.WaitForOperationAsync(queued["operationId"]!.GetValue<Guid>())).Str("status"));
        Assert.Equal(4, await api.AllocatedVcpusAsync(cloud.HostIds[0]));
        var actions = (await tenant.GetJson($"/v1/instances/{queued.Id()}/actions"))["items"]!.AsArray().Select(a => a!.Str("action")).ToList();
        Assert.Equal(["queue", "dequeue", "spawned"], actions);
    }

    [Fact]
    public async Task Queue_IsPriorityThenFirstComeFirstServed_WithBackfilling()
    {
        // Host A is full; host B (8 vCPUs) is disabled, so everything queues, then enabling B runs one pass.
        var cloud = await api.SeedAsync(hosts: 2, hostVcpus: 8, flavorVcpus: 2);
        var (a, b) = (cloud.HostIds[0], cloud.HostIds[1]);
        var admin = api.Admin();
        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "disabled" })).EnsureSuccessStatusCode();
        var tenant = api.Client(cloud.TenantKey);
        for (var i = 0; i < 4; i++) await tenant.CreateOkAsync(cloud);
        Assert.Equal(8, await api.AllocatedVcpusAsync(a));

        var low = await api.PlanAsync(100, preemptible: false);
        var high = await api.PlanAsync(900, preemptible: false);
        var big = await api.FlavorAsync(6);
        var small = await api.FlavorAsync(2);
        var bigLow = (await tenant.CreateOkAsync(cloud, big, low, "best-effort")).Id();
        api.Clock.Advance(TimeSpan.FromSeconds(1));
        var smallLow = (await tenant.CreateOkAsync(cloud, small, low, "best-effort")).Id();
        api.Clock.Advance(TimeSpan.FromSeconds(1));
        var bigHigh = (await tenant.CreateOkAsync(cloud, big, high, "best-effort")).Id();
        api.Clock.Advance(TimeSpan.FromSeconds(1));
        var bigLowLater = (await tenant.CreateOkAsync(cloud, big, low, "best-effort")).Id();

        // In queue order: the high-priority one first although it came later; then the low ones first come, first served.
        var positions = new List<int>();
        foreach (var id in new[] { bigHigh, bigLow, smallLow, bigLowLater })
            positions.Add((await tenant.GetJson($"/v1/instances/{id}"))["queuePosition"]!.GetValue<int>());
        Assert.Equal(positions.Order(), positions);

        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "enabled" })).EnsureSuccessStatusCode();
        await api.TickAsync();
        // B has 8: the high-priority big one takes 6; the big low one does not fit in the 2 left, the small one behind it does (backfilling).
        await tenant.WaitForStatusAsync(bigHigh, "running");
        await tenant.WaitForStatusAsync(smallLow, "running");
        Assert.Equal("pending", await tenant.StatusAsync(bigLow));
        Assert.Equal("pending", await tenant.StatusAsync(bigLowLater));

        // 6 free again: the earlier of the two equal-priority big ones starts, the later keeps waiting.
        (await tenant.DeleteAsync($"/v1/instances/{bigHigh}")).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(bigLow, "running");
        await api.TickAsync();
        Assert.Equal("pending", await tenant.StatusAsync(bigLowLater));
    }

    [Fact]
    public async Task BestEffort_MaxWait_FailsWithAClearReason_AndReturnsTheQuota()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 2, flavorVcpus: 2);
        var tenant = api.Client(cloud.TenantKey);
        await tenant.CreateOkAsync(cloud);
        var queued = await tenant.CreateOkAsync(cloud, scheme: "best-effort", maxWaitSeconds: 120);
        Assert.NotNull(queued["expiresAt"]);
        Assert.Equal(2, await tenant.UsageAsync());

        await api.AdvanceAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("pending", await tenant.StatusAsync(queued.Id()));
        await api.AdvanceAsync(TimeSpan.FromSeconds(61));

        var failed = await tenant.WaitForStatusAsync(queued.Id(), "error");
        Assert.Contains("maxWaitSeconds", failed.Str("statusReason"));
        var op = await tenant.GetJson($"/v1/operations/{queued["operationId"]}");
        Assert.Equal(("failed", "https://iaasapi.dev/problems/queue-timeout"), (op.Str("status"), op["error"]!.Str("type")));
        Assert.Equal(1, await tenant.UsageAsync());
    }

    [Fact]
    public async Task DeletingAPendingInstance_CancelsItsWait_AndReturnsTheQuota()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 2, flavorVcpus: 2);
        var tenant = api.Client(cloud.TenantKey);
        await tenant.CreateOkAsync(cloud);
        var queued = await tenant.CreateOkAsync(cloud, scheme: "best-effort");

        (await tenant.DeleteAsync($"/v1/instances/{queued.Id()}")).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(queued.Id(), "deleted");
        var op = await tenant.GetJson($"/v1/operations/{queued["operationId"]}");
        Assert.Equal("cancelled", op.Str("status"));
        Assert.Equal(1, await tenant.UsageAsync());
        Assert.Equal(2, await api.AllocatedVcpusAsync(cloud.HostIds[0]));
    }

    [Fact]
    public async Task BestEffort_BadInput_IsRefusedAndChangesNothing()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var immediateOnly = await api.PlanAsync(500, false, "immediate");
        await (await tenant.CreateAsync(cloud, planId: immediateOnly, scheme: "best-effort")).ExpectProblemAsync(HttpStatusCode.Conflict, "scheme-not-allowed");
        await (await tenant.CreateAsync(cloud, maxWaitSeconds: 60)).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.CreateAsync(cloud, scheme: "best-effort", maxWaitSeconds: 0)).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.CreateAsync(cloud, scheme: "sometime")).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.CreateAsync(cloud, scheme: "reservation")).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Equal(0, await tenant.UsageAsync());
    }

    [Fact]
    public async Task AFittingRequest_StartsEvenBehindHundredsThatCannotFit()
    {
        // Found by the model test at 1,000 sequences: a pass that read only the first 500 queued ids never reached a
        // request further back that fits, once more than 500 unplaceable ones queued ahead of it.
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 8, flavorVcpus: 2);
        var tenant = api.Client(cloud.TenantKey);
        var running = new List<Guid>();
        for (var i = 0; i < 4; i++) running.Add((await tenant.CreateOkAsync(cloud)).Id());
        var urgent = await api.PlanAsync(950, preemptible: false);
        var huge = await api.FlavorAsync(8, 65536);                               // more memory than the host has: never fits
        var ahead = new List<Guid>();
        for (var batch = 0; batch < 6; batch++)
        {
            var created = await (await tenant.CreateAsync(cloud, huge, urgent, "best-effort", count: 100)).ExpectAsync(HttpStatusCode.Accepted);
            ahead.AddRange(created["items"]!.AsArray().Select(x => x!.Id()));
        }
        var small = (await tenant.CreateOkAsync(cloud, scheme: "best-effort")).Id();
        Assert.Equal("pending", await tenant.StatusAsync(small));

        (await tenant.DeleteAsync($"/v1/instances/{running[0]}")).EnsureSuccessStatusCode();   // room for one: a pass runs
        await tenant.WaitForStatusAsync(small, "running");
        Assert.All(await Task.WhenAll(ahead.Take(3).Select(id => tenant.StatusAsync(id))), s => Assert.Equal("pending", s));

        await Parallel.ForEachAsync(ahead, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) =>
            (await tenant.DeleteAsync($"/v1/instances/{id}")).EnsureSuccessStatusCode());
    }
}
