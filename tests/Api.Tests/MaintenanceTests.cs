using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;
using Xunit;

namespace IaasApi.Api.Tests;

/// <summary>
/// Maintenance: entering it stops placements on the host and a drain live-migrates its running instances away within
/// the parallel limits; stopped ones move cold, and running ones whose plan allows it move cold once live is impossible;
/// exit returns the host to service.
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
    public async Task Drain_MovesStoppedInstancesCold_FallsBackToColdWhereThePlanAllows_AndNamesWhatItCannotMove()
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorMemoryMiB: 1024);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var (a, b) = (cloud.HostIds[0], cloud.HostIds[1]);
        var lenient = await api.PlanAsync(100, false);
        (await admin.PatchAsJsonAsync($"/v1/sla-plans/{lenient}", new { migrationPolicy = new { allowCold = true } })).EnsureSuccessStatusCode();
        Assert.True((await admin.GetJson($"/v1/sla-plans/{lenient}"))["migrationPolicy"]!["allowCold"]!.GetValue<bool>());
        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "disabled" })).EnsureSuccessStatusCode();
        var flexible = (await tenant.CreateOkAsync(cloud, planId: lenient)).Id();
        var strict = (await tenant.CreateOkAsync(cloud)).Id();
        var parked = (await tenant.CreateOkAsync(cloud)).Id();
        foreach (var vm in new[] { flexible, strict, parked }) await tenant.WaitForStatusAsync(vm, "running");
        (await tenant.PostAsync($"/v1/instances/{parked}/actions/stop", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(parked, "stopped");
        (await admin.PatchAsJsonAsync($"/v1/hosts/{b}", new { state = "enabled" })).EnsureSuccessStatusCode();
        // Live migration fails for both running VMs, every attempt (Iaas:Maintenance:MaxAttemptsPerInstance = 2).
        foreach (var vm in new[] { flexible, strict })
            api.Fake.InjectFault(IaasApi.Infrastructure.Hypervisors.Fake.FakeOperation.Migrate, a, vm, transient: false, count: 2, "live migration impossible");

        var drainId = (await (await admin.PostAsync($"/v1/hosts/{a}/actions/enter-maintenance", null))
            .ExpectAsync(HttpStatusCode.Accepted))["operationId"]!.GetValue<Guid>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await admin.GetJson($"/v1/operations/{drainId}")).Str("status") == "running")
        {
            Assert.True(DateTime.UtcNow < deadline, "The drain did not finish.");
            api.Clock.Advance(TimeSpan.FromSeconds(1));                          // the cold copies run on the test clock
            await Task.Delay(20);
        }
        var failed = await admin.GetJson($"/v1/operations/{drainId}");
        Assert.Equal("failed", failed.Str("status"));
        var detail = failed["error"]!.Str("detail");
        Assert.Contains("Moved 2 instance(s)", detail);
        Assert.Contains($"Could not move 1: {strict}: ", detail);
        Assert.Contains("live migration impossible", detail);
        Assert.Equal(detail, failed.Str("statusReason"));                       // one account of the end, not the last progress line

        Assert.Equal(("running", a), (await tenant.StatusAsync(strict), (await admin.GetJson($"/v1/instances/{strict}"))["hostId"]!.GetValue<Guid>()));
        Assert.Equal(("running", b), (await tenant.StatusAsync(flexible), (await admin.GetJson($"/v1/instances/{flexible}"))["hostId"]!.GetValue<Guid>()));
        Assert.Equal(("stopped", b), (await tenant.StatusAsync(parked), (await admin.GetJson($"/v1/instances/{parked}"))["hostId"]!.GetValue<Guid>()));
        var flexibleMoves = (await admin.GetJson($"/v1/migrations?instanceId={flexible}"))["items"]!.AsArray()
            .Select(m => (m!.Str("type"), m!.Str("status"))).ToList();
        Assert.Equal([("live", "failed"), ("live", "failed"), ("cold", "completed")], flexibleMoves);
        Assert.Equal([("cold", "completed")], (await admin.GetJson($"/v1/migrations?instanceId={parked}"))["items"]!.AsArray()
            .Select(m => (m!.Str("type"), m!.Str("status"))).ToList());
        Assert.Equal((2, 4), (await api.AllocatedVcpusAsync(a), await api.AllocatedVcpusAsync(b)));
        Assert.Equal((b, b), (api.Fake.Find(flexible)!.HostId, api.Fake.Find(parked)!.HostId));

        (await admin.PostAsync($"/v1/hosts/{a}/actions/exit-maintenance", null)).EnsureSuccessStatusCode();
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
