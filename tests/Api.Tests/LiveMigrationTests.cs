using IaasApi.Infrastructure.Operations;
using IaasApi.Infrastructure.VmMigrations;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;
using IaasApi.Infrastructure.Hypervisors.Fake;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Api.Tests;

/// <summary>
/// Live migration through the API with the fake driver: every stage in order with its times, the claim moved in the
/// commitment, and every way to end before it — a driver fault, a cancel — leaving the VM running on the source with
/// exactly one allocation. The fake plays the pre-copy model against the test clock, which these tests advance.
/// </summary>
public sealed class LiveMigrationTests(ApiFactory api)
{
    private async Task<(Cloud Cloud, Guid Vm, Guid Source, Guid Target)> RunningVmAsync(int flavorMemoryMiB = 4096)
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorVcpus: 2, flavorMemoryMiB: flavorMemoryMiB, hostMemoryMiB: 65536);
        var tenant = api.Client(cloud.TenantKey);
        var vm = await tenant.CreateOkAsync(cloud);
        await tenant.WaitForStatusAsync(vm.Id(), "running");
        var source = (await api.Admin().GetJson($"/v1/instances/{vm.Id()}"))["hostId"]!.GetValue<Guid>();
        return (cloud, vm.Id(), source, cloud.HostIds.Single(h => h != source));
    }

    private Task<JsonObject> MigrateAsync(Guid vm, object? body = null) => api.MigrateOkAsync(vm, body);

    private Task<JsonObject> SettleAsync(Guid migrationId, params string[] statuses) =>
        api.SettleMigrationAsync(migrationId, TimeSpan.FromMilliseconds(250), statuses);

    private Task<JsonObject> WaitForStageAsync(Guid migrationId, string stage, int rounds = 0) =>
        api.WaitForMigrationAsync(migrationId, m => m["stage"]?.GetValue<string>() == stage && m["rounds"]!.AsArray().Count >= rounds, $"reached {stage}");

    private Task WaitForDriverAsync(Guid vm) => api.WaitForFakeDriverAsync(vm);

    private async Task AssertOnlyOn(Guid vm, Guid host, Guid other, int vcpus = 2)
    {
        var instance = await api.Admin().GetJson($"/v1/instances/{vm}");
        Assert.Equal(("running", host), (instance.Str("status"), instance["hostId"]!.GetValue<Guid>()));
        Assert.Equal((vcpus, 0), (await api.AllocatedVcpusAsync(host), await api.AllocatedVcpusAsync(other)));
        Assert.Equal((host, VmPowerState.Running), (api.Fake.Find(vm)!.HostId, api.Fake.Find(vm)!.Power));
    }

    [Fact]
    public async Task Live_RunsEveryStageInOrder_AndTheCommitmentMovesTheInstanceAndItsClaim()
    {
        var (_, vm, source, target) = await RunningVmAsync();
        var started = await MigrateAsync(vm, new { maxDowntimeMs = 200 });
        Assert.Equal(("live", source, target), (started.Str("type"), started["sourceHostId"]!.GetValue<Guid>(), started["targetHostId"]!.GetValue<Guid>()));
        Assert.Equal(("queued", "migrating"), (started.Str("status"), (await api.Admin().GetJson($"/v1/instances/{vm}")).Str("status")));

        var done = await SettleAsync(started.Id(), "completed", "failed", "cancelled");
        Assert.Equal(("completed", 100, "converged"), (done.Str("status"), done["progress"]!.GetValue<int>(), done.Str("preCopyOutcome")));
        var stages = done["stages"]!.AsArray();
        Assert.Equal("pre-migration reservation pre-copy stop-and-copy commitment activation",
                     string.Join(" ", stages.Select(s => s!.Str("stage"))));
        Assert.All(stages, s => Assert.NotNull(s!["endedAt"]));
        Assert.True(done["rounds"]!.AsArray().Count >= 1);
        Assert.InRange(done["downtimeMs"]!.GetValue<double>(), 20, 200);
        await AssertOnlyOn(vm, target, source);

        var actions = (await api.Admin().GetJson($"/v1/instances/{vm}/actions"))["items"]!.AsArray().Select(a => a!.Str("action")).ToList();
        Assert.Contains("migrate", actions);
        Assert.Contains("migrated", actions);
        Assert.Contains("activated", actions);
        var op = await api.Admin().GetJson($"/v1/operations/{done["operationId"]}");
        Assert.Equal(("succeeded", "instance.migrate"), (op.Str("status"), op.Str("kind")));
        var listed = await api.Admin().GetJson($"/v1/migrations?instanceId={vm}");
        Assert.Single(listed["items"]!.AsArray());
    }

    [Fact]
    public async Task AFaultDuringPreCopy_FailsTheMigration_AndTheVmKeepsRunningOnTheSourceWithOneAllocation()
    {
        var (_, vm, source, target) = await RunningVmAsync(8192);
        api.Fake.SetGuestMemory(vm, new GuestMemory(8192, 8192, 8192, 800));   // ~0.67 per round: several rounds
        var started = await MigrateAsync(vm);
        await WaitForStageAsync(started.Id(), "pre-copy");
        Assert.Equal(2, await api.AllocatedVcpusAsync(target));                // the target's claim is held while copying
        await WaitForDriverAsync(vm);
        api.Clock.Advance(TimeSpan.FromSeconds(8));                               // round 1: 8 GiB at 1,192 MiB/s ≈ 6.9 s
        await WaitForStageAsync(started.Id(), "pre-copy", rounds: 1);
        api.Fake.InjectFault(FakeOperation.Migrate, source, vm, transient: false, 1, "the migration link went down");

        var failed = await SettleAsync(started.Id(), "completed", "failed", "cancelled");
        Assert.Equal("failed", failed.Str("status"));
        Assert.Contains("link went down", failed.Str("reason"));
        await AssertOnlyOn(vm, source, target);
        var op = await api.Admin().GetJson($"/v1/operations/{failed["operationId"]}");
        Assert.Equal("failed", op.Str("status"));
        Assert.EndsWith("migration-failed", op["error"]!.Str("type"));
    }

    [Fact]
    public async Task Cancel_BeforeCommitment_LeavesTheVmOnTheSource_AndAFinishedMigrationCannotBeSteered()
    {
        var (_, vm, source, target) = await RunningVmAsync(8192);
        api.Fake.SetGuestMemory(vm, new GuestMemory(8192, 8192, 8192, 800));
        var started = await MigrateAsync(vm);
        await WaitForStageAsync(started.Id(), "pre-copy");
        var asked = await (await api.Admin().PostAsync($"/v1/migrations/{started.Id()}/actions/cancel", null)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.True(asked["cancelRequested"]!.GetValue<bool>());

        var cancelled = await SettleAsync(started.Id(), "completed", "failed", "cancelled");
        Assert.Equal(("cancelled", "Cancelled by an operator."), (cancelled.Str("status"), cancelled.Str("reason")));
        await AssertOnlyOn(vm, source, target);
        await (await api.Admin().PostAsync($"/v1/migrations/{started.Id()}/actions/force-complete", null))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");

        var again = await MigrateAsync(vm);                                        // it can migrate again afterwards
        Assert.Equal("completed", (await SettleAsync(again.Id(), "completed", "failed", "cancelled")).Str("status"));
        await AssertOnlyOn(vm, target, source);
    }

    [Fact]
    public async Task ResetState_OfAMigratingInstance_IsRefusedUntilItsMigrationEnds()
    {
        var (_, vm, source, target) = await RunningVmAsync(8192);
        api.Fake.SetGuestMemory(vm, new GuestMemory(8192, 8192, 8192, 800));
        var started = await MigrateAsync(vm);
        await WaitForStageAsync(started.Id(), "pre-copy");
        var refused = await (await api.Admin().PostAsJsonAsync($"/v1/instances/{vm}/actions/reset-state", new { status = "running" }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");
        Assert.Contains(started.Id().ToString(), refused.Str("detail"));
        Assert.Equal("running", (await api.Admin().GetJson($"/v1/migrations/{started.Id()}")).Str("status"));   // untouched
        Assert.Equal("running", (await api.Admin().GetJson($"/v1/operations/{started["operationId"]!.GetValue<Guid>()}")).Str("status"));

        (await api.Admin().PostAsync($"/v1/migrations/{started.Id()}/actions/cancel", null)).EnsureSuccessStatusCode();
        Assert.Equal("cancelled", (await SettleAsync(started.Id(), "completed", "failed", "cancelled")).Str("status"));
        await AssertOnlyOn(vm, source, target);
        await (await api.Admin().PostAsJsonAsync($"/v1/instances/{vm}/actions/reset-state", new { status = "running" })).ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ForceComplete_OfAStalledPreCopy_SwitchesOverAtOnce()
    {
        var (_, vm, source, target) = await RunningVmAsync(4096);
        api.Fake.SetGuestMemory(vm, new GuestMemory(4096, 2048, 1024, 5000));     // dirties far faster than the link
        var started = await MigrateAsync(vm, new { bandwidthMbps = 1000 });        // ≈119 MiB/s
        await WaitForStageAsync(started.Id(), "pre-copy");
        (await api.Admin().PostAsync($"/v1/migrations/{started.Id()}/actions/force-complete", null)).EnsureSuccessStatusCode();
        var done = await SettleAsync(started.Id(), "completed", "failed", "cancelled");
        Assert.Equal(("completed", "force-completed"), (done.Str("status"), done.Str("preCopyOutcome")));
        Assert.True(done["downtimeMs"]!.GetValue<double>() > 300);              // paused for whatever was left
        await AssertOnlyOn(vm, target, source);
    }

    [Fact]
    public async Task AWorkerKilledMidPreCopy_LeavesTheVmOnTheSource_AndTheReconcilerFinishesTheMigration()
    {
        var (cloud, vm, source, target) = await RunningVmAsync();
        api.Jobs.DropNext(1, cloud.TenantId);                                     // the enqueue is lost: this test runs the job itself
        var started = await MigrateAsync(vm);
        var operationId = started["operationId"]!.GetValue<Guid>();
        using var kill = new CancellationTokenSource();
        var run = api.WithScopeAsync(sp => sp.GetRequiredService<IMigrationJobs>().RunAsync(operationId, kill.Token));
        await WaitForStageAsync(started.Id(), "pre-copy");
        await WaitForDriverAsync(vm);
        kill.Cancel();                                                            // the worker dies in the middle of pre-copy
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal((source, 2, 2), (api.Fake.Find(vm)!.HostId, await api.AllocatedVcpusAsync(source), await api.AllocatedVcpusAsync(target)));

        api.Clock.Advance(TimeSpan.FromMinutes(2));
        await api.WithScopeAsync(async sp => await sp.GetRequiredService<OperationReconciler>().RunAsync(CancellationToken.None));
        var done = await SettleAsync(started.Id(), "completed", "failed", "cancelled");
        Assert.Equal("completed", done.Str("status"));
        await AssertOnlyOn(vm, target, source);
    }

    [Fact]
    public async Task AMigrationWhoseJobKeepsGettingLost_IsGivenUp_WithTheVmOnTheSourceAndTheTargetClaimReleased()
    {
        var (cloud, vm, source, target) = await RunningVmAsync(8192);
        api.Fake.SetGuestMemory(vm, new GuestMemory(8192, 8192, 8192, 800));
        api.Jobs.DropNext(1, cloud.TenantId);
        var started = await MigrateAsync(vm);
        var operationId = started["operationId"]!.GetValue<Guid>();
        using var kill = new CancellationTokenSource();
        var run = api.WithScopeAsync(sp => sp.GetRequiredService<IMigrationJobs>().RunAsync(operationId, kill.Token));
        await WaitForStageAsync(started.Id(), "pre-copy");
        await WaitForDriverAsync(vm);
        kill.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(2, await api.AllocatedVcpusAsync(target));                 // the dead run's claim on the target

        try
        {
            api.Jobs.DropNext(100, cloud.TenantId);                               // every re-drive is lost too
            for (var i = 0; i < 3; i++)
            {
                api.Clock.Advance(TimeSpan.FromMinutes(2));
                await api.WithScopeAsync(async sp => await sp.GetRequiredService<OperationReconciler>().RunAsync(CancellationToken.None));
            }
        }
        finally
        {
            api.Jobs.DropNext(0);
        }
        var gaveUp = await api.Admin().GetJson($"/v1/migrations/{started.Id()}");
        Assert.Equal("failed", gaveUp.Str("status"));
        Assert.Contains("Gave up", gaveUp.Str("reason"));
        Assert.Equal("failed", (await api.Admin().GetJson($"/v1/operations/{operationId}")).Str("status"));
        await AssertOnlyOn(vm, source, target);
        Assert.Null(api.Fake.MigrationOf(vm));                                    // cancelled at the source's driver too
        Assert.False(api.Fake.IsIncoming(target, vm));                            // and discarded at the target's
    }

    [Fact]
    public async Task ThePlansConvergencePolicy_Applies_AbortLeavesAStalledGuestOnTheSource()
    {
        var (cloud, _, _, _) = await RunningVmAsync();
        var admin = api.Admin();
        var plan = await admin.PostOk("/v1/sla-plans", new
        {
            name = TestCloud.Unique("strict"), schemes = new[] { "immediate" },
            migrationPolicy = new { maxDowntimeMs = 50, escalation = "abort", timeoutSecondsPerGiB = 30 },
        });
        Assert.Equal(("abort", 50), (plan["migrationPolicy"]!.Str("escalation"), plan["migrationPolicy"]!["maxDowntimeMs"]!.GetValue<int>()));
        await (await admin.PostAsJsonAsync("/v1/sla-plans", new { name = TestCloud.Unique("bad"), migrationPolicy = new { escalation = "panic" } }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        var tenant = api.Client(cloud.TenantKey);
        var vm = (await tenant.CreateOkAsync(cloud, planId: plan.Id())).Id();
        await tenant.WaitForStatusAsync(vm, "running");
        var source = (await admin.GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>();
        api.Fake.SetGuestMemory(vm, new GuestMemory(4096, 2048, 1024, 5000));

        var preview = await (await admin.PostAsJsonAsync("/v1/migrations/preview", new { instanceId = vm })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal((50, "abort", "aborted"), (preview["maxDowntimeMs"]!.GetValue<int>(), preview["prediction"]!.Str("escalation"),
                                                preview["prediction"]!.Str("outcome")));
        var before = (await api.AllocatedVcpusAsync(cloud.HostIds[0]), await api.AllocatedVcpusAsync(cloud.HostIds[1]));
        var started = await MigrateAsync(vm);
        Assert.Equal(("abort", 50), (started.Str("escalation"), started["maxDowntimeMs"]!.GetValue<int>()));
        await WaitForStageAsync(started.Id(), "pre-copy");
        await WaitForDriverAsync(vm);
        var failed = await SettleAsync(started.Id(), "completed", "failed", "cancelled");
        Assert.Equal("failed", failed.Str("status"));
        Assert.Contains("stalled", failed.Str("reason"));
        Assert.Equal(("running", source), ((await admin.GetJson($"/v1/instances/{vm}")).Str("status"), api.Fake.Find(vm)!.HostId));
        Assert.Equal(before, (await api.AllocatedVcpusAsync(cloud.HostIds[0]), await api.AllocatedVcpusAsync(cloud.HostIds[1])));
    }

    [Fact]
    public async Task Migrate_Refusals_AreClearAndChangeNothing()
    {
        var (cloud, vm, source, target) = await RunningVmAsync();
        var admin = api.Admin();
        await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "storage" }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "cold", maxDowntimeMs = 100 }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "sideways" }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { targetHostId = source }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        await (await admin.PostAsJsonAsync($"/v1/instances/{Guid.NewGuid()}/actions/migrate", new { }))
            .ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        var tenant = api.Client(cloud.TenantKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenant.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { })).StatusCode);
        await AssertOnlyOn(vm, source, target);

        // Two at once: one migration per instance.
        var first = admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { });
        var second = admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { });
        var codes = (await Task.WhenAll(first, second)).Select(r => r.StatusCode).OrderBy(c => c).ToList();
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Conflict], codes);
        var live = (await admin.GetJson($"/v1/migrations?instanceId={vm}"))["items"]!.AsArray().Single()!;
        await SettleAsync(live.Id(), "completed", "failed", "cancelled");

        (await tenant.PostAsync($"/v1/instances/{vm}/actions/stop", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(vm, "stopped");
        await (await admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "live" }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");
    }
}
