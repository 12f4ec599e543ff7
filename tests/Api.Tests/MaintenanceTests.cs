using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;
using Xunit;

namespace IaasApi.Api.Tests;

/// <summary>
/// Maintenance: entering it stops placements on the host and a drain live-migrates its running instances away within
/// the parallel limits; stopped ones stay (no cold migration yet); exit returns the host to service.
/// </summary>
public sealed class MaintenanceTests(ApiFactory api, ITestOutputHelper output)
{
    [Fact]
    public async Task Drain_OfAHostWith20Vms_MovesThemAllWithinTheParallelLimit_AndPlacementAvoidsTheHost()
    {
        var cloud = await api.SeedAsync(hosts: 3, hostVcpus: 64, hostMemoryMiB: 65536, flavorVcpus: 2, flavorMemoryMiB: 1024);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var (a, b, c) = (cloud.HostIds[0], cloud.HostIds[1], cloud.HostIds[2]);
        foreach (var other in new[] { b, c })
            (await admin.PatchAsJsonAsync($"/v1/hosts/{other}", new { state = "disabled" })).EnsureSuccessStatusCode();
        var vms = new List<Guid>();
        for (var i = 0; i < 20; i++) vms.Add((await tenant.CreateOkAsync(cloud)).Id());
        foreach (var vm in vms) await tenant.WaitForStatusAsync(vm, "running");
        foreach (var other in new[] { b, c })
            (await admin.PatchAsJsonAsync($"/v1/hosts/{other}", new { state = "enabled" })).EnsureSuccessStatusCode();
        Assert.Equal(40, await api.AllocatedVcpusAsync(a));

        var entered = await (await admin.PostAsync($"/v1/hosts/{a}/actions/enter-maintenance", null)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("maintenance", entered.Str("state"));
        var drainId = entered["operationId"]!.GetValue<Guid>();
        var again = await (await admin.PostAsync($"/v1/hosts/{a}/actions/enter-maintenance", null)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(drainId, again["operationId"]!.GetValue<Guid>());     // idempotent while draining

        var newcomer = (await tenant.CreateOkAsync(cloud)).Id();
        Assert.NotEqual(a, (await admin.GetJson($"/v1/instances/{newcomer}"))["hostId"]!.GetValue<Guid>());

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var simulated = TimeSpan.Zero;
        var mostAtOnce = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await admin.GetJson($"/v1/operations/{drainId}")).Str("status") == "running")
        {
            var live = (await admin.GetJson($"/v1/migrations?hostId={a}&status=running"))["items"]!.AsArray().Count;
            mostAtOnce = Math.Max(mostAtOnce, live);
            Assert.True(DateTime.UtcNow < deadline, "The drain did not finish.");
            api.Clock.Advance(TimeSpan.FromMilliseconds(250));
            simulated += TimeSpan.FromMilliseconds(250);
            await Task.Delay(20);
        }
        var drain = await admin.GetJson($"/v1/operations/{drainId}");
        output.WriteLine($"20-VM drain: {watch.Elapsed.TotalSeconds:F1} s wall, {simulated.TotalSeconds:F1} s of simulated migration time, " +
                         $"at most {mostAtOnce} migration(s) at once; {drain.Str("statusReason")}");
        Assert.Equal(("succeeded", 100), (drain.Str("status"), drain["progress"]!.GetValue<int>()));
        Assert.Contains("Moved 20 instance(s)", drain.Str("statusReason"));
        Assert.InRange(mostAtOnce, 1, 2);                                         // Iaas:Maintenance:MaxParallelPerHost
        Assert.Equal(0, await api.AllocatedVcpusAsync(a));
        Assert.Equal(42, await api.AllocatedVcpusAsync(b) + await api.AllocatedVcpusAsync(c));
        foreach (var vm in vms)
        {
            var instance = await admin.GetJson($"/v1/instances/{vm}");
            Assert.Equal("running", instance.Str("status"));
            Assert.Equal(instance["hostId"]!.GetValue<Guid>(), api.Fake.Find(vm)!.HostId);
            Assert.NotEqual(a, api.Fake.Find(vm)!.HostId);
        }
        Assert.Empty(api.Fake.VmsOn(a));

        var back = await (await admin.PostAsync($"/v1/hosts/{a}/actions/exit-maintenance", null)).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("enabled", back.Str("state"));
        await (await admin.PostAsync($"/v1/hosts/{a}/actions/exit-maintenance", null)).ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");
        await (await admin.PatchAsJsonAsync($"/v1/hosts/{a}", new { state = "maintenance" })).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task Drain_ThatCannotMoveAnInstance_FailsNamingIt_AndLeavesStoppedOnesInPlace()
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorMemoryMiB: 1024);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        (await admin.PatchAsJsonAsync($"/v1/hosts/{cloud.HostIds[1]}", new { state = "disabled" })).EnsureSuccessStatusCode();
        var running = (await tenant.CreateOkAsync(cloud)).Id();
        var stopped = (await tenant.CreateOkAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(running, "running");
        await tenant.WaitForStatusAsync(stopped, "running");
        (await tenant.PostAsync($"/v1/instances/{stopped}/actions/stop", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(stopped, "stopped");

        // The only other host is disabled: the running instance has nowhere to go, and the drain says so.
        var drainId = (await (await admin.PostAsync($"/v1/hosts/{cloud.HostIds[0]}/actions/enter-maintenance", null))
            .ExpectAsync(HttpStatusCode.Accepted))["operationId"]!.GetValue<Guid>();
        var failed = await admin.WaitForOperationAsync(drainId);
        Assert.Equal("failed", failed.Str("status"));
        Assert.Contains("Could not move 1", failed["error"]!.Str("detail"));
        Assert.Contains("1 not running stay", failed["error"]!.Str("detail"));
        Assert.Equal(("running", "stopped"), (await tenant.StatusAsync(running), await tenant.StatusAsync(stopped)));

        (await admin.PostAsync($"/v1/hosts/{cloud.HostIds[0]}/actions/exit-maintenance", null)).EnsureSuccessStatusCode();
        (await admin.PatchAsJsonAsync($"/v1/hosts/{cloud.HostIds[1]}", new { state = "enabled" })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task ConsolidationDryRun_FreesHostsByMovingRunningInstances_AndMovesNothing()
    {
        var cloud = await api.SeedAsync(hosts: 4, hostVcpus: 16, flavorVcpus: 2, flavorMemoryMiB: 1024);   // spread: one or two per host
        var tenant = api.Client(cloud.TenantKey);
        var vms = new List<Guid>();
        for (var i = 0; i < 6; i++) vms.Add((await tenant.CreateOkAsync(cloud)).Id());
        foreach (var vm in vms) await tenant.WaitForStatusAsync(vm, "running");
        var before = await Task.WhenAll(cloud.HostIds.Select(h => api.AllocatedVcpusAsync(h)));

        var plan = await (await api.Admin().PostAsJsonAsync("/v1/planners/consolidation", new { zoneId = cloud.ZoneId })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal((4, 3, 3), (plan["hostsConsidered"]!.GetValue<int>(), plan["hostsFreed"]!.GetValue<int>(),
                                 plan["firstFitDecreasingFreed"]!.GetValue<int>()));   // 12 vCPUs fit one 16-vCPU host
        var moves = plan["moves"]!.AsArray();
        Assert.Equal(plan["migrations"]!.GetValue<int>(), moves.Count);
        var freed = plan["freedHostIds"]!.AsArray().Select(x => x!.GetValue<Guid>()).ToHashSet();
        Assert.All(moves, m => Assert.DoesNotContain(m!["toHostId"]!.GetValue<Guid>(), freed));
        Assert.True(plan["estimatedTotalMs"]!.GetValue<double>() > 0);
        Assert.Equal(before, await Task.WhenAll(cloud.HostIds.Select(h => api.AllocatedVcpusAsync(h))));   // a dry run
        await (await api.Admin().PostAsJsonAsync("/v1/planners/consolidation", new { zoneId = Guid.NewGuid() }))
            .ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(HttpStatusCode.Forbidden, (await tenant.PostAsJsonAsync("/v1/planners/consolidation", new { zoneId = cloud.ZoneId })).StatusCode);
    }
}
