using IaasApi.Infrastructure.Instances;
using IaasApi.Infrastructure.VmMigrations;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Api.Tests;

/// <summary>
/// A live migration whose host goes silent, ended by Clark's rule (the source is primary until the commitment): before
/// the switch-over it is abandoned and the instance is evacuated with its source; after it, the move is committed on the
/// target; during post-copy's pull the guest is lost. And post-copy reported as its two phases, push and pull.
/// </summary>
public sealed class MigrationHostFailureTests(ApiFactory api)
{
    private static readonly TimeSpan Beat = TimeSpan.FromSeconds(10);

    private async Task<(Cloud Cloud, Guid Vm, Guid Source, Guid Target)> RunningVmAsync(Guid? planId = null)
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorVcpus: 2, flavorMemoryMiB: 4096, hostMemoryMiB: 65536);
        var tenant = api.Client(cloud.TenantKey);
        var vm = (await tenant.CreateOkAsync(cloud, planId: planId)).Id();
        await tenant.WaitForStatusAsync(vm, "running");
        var source = (await api.Admin().GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>();
        await api.TickAsync();
        return (cloud, vm, source, cloud.HostIds.Single(h => h != source));
    }

    private Task<JsonObject> WaitForAsync(Guid migrationId, Func<JsonObject, bool> done, string what) =>
        api.WaitForMigrationAsync(migrationId, done, what);

    private Task WaitForDriverAsync(Guid vm) => api.WaitForFakeDriverAsync(vm);

    /// <summary>
    /// Starts a migration whose job this test runs, as the source's agent would (the enqueue is dropped): the returned
    /// token source kills it, as the agent dying would.
    /// </summary>
    private async Task<(JsonObject Migration, Task Run, CancellationTokenSource Kill)> StartInAgentAsync(Cloud cloud, Guid vm, object body)
    {
        api.Jobs.DropNext(1, cloud.TenantId);
        var started = await api.MigrateOkAsync(vm, body);
        var operationId = started["operationId"]!.GetValue<Guid>();
        var kill = new CancellationTokenSource();
        var run = api.WithScopeAsync(sp => sp.GetRequiredService<IMigrationJobs>().RunAsync(operationId, kill.Token));
        return (started, run, kill);
    }

    private static async Task DieAsync(Task run, CancellationTokenSource kill)
    {
        kill.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        kill.Dispose();
    }

    /// <summary>A host silent from now until it is declared down (30 s of silence, judged in ticks 15 s apart).</summary>
    private async Task TakeDownAsync(Guid hostId)
    {
        await Silence(hostId, true);
        for (var i = 0; i < 3; i++) await api.AdvanceAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("down", (await api.Admin().GetJson($"/v1/hosts/{hostId}")).Str("state"));
    }

    private static string Stages(JsonObject m) => string.Join(" ", m["stages"]!.AsArray().Select(s => s!.Str("stage")));

    [Fact]
    public async Task SourceLostBeforeTheSwitchover_AbandonsTheMigration_AndTheInstanceRestartsWithTheEvacuation()
    {
        var (cloud, vm, source, target) = await RunningVmAsync();
        var admin = api.Admin();
        var (started, run, kill) = await StartInAgentAsync(cloud, vm, new { bandwidthMbps = 100 });   // 4 GiB at ≈12 MiB/s: minutes of pre-copy
        await WaitForAsync(started.Id(), m => m["stage"]?.GetValue<string>() == "pre-copy", "reached pre-copy");
        await WaitForDriverAsync(vm);
        await DieAsync(run, kill);                                                    // the source's agent dies with its host

        await TakeDownAsync(source);
        var failed = await admin.GetJson($"/v1/migrations/{started.Id()}");
        Assert.Equal("failed", failed.Str("status"));
        Assert.Contains("declared down before the target held the whole guest", failed.Str("reason"));
        var restarted = await admin.WaitForStatusAsync(vm, "running");
        Assert.Equal(target, restarted["hostId"]!.GetValue<Guid>());                 // the only live host: the target claim went back first
        Assert.Equal((0, 2), (await api.AllocatedVcpusAsync(source), await api.AllocatedVcpusAsync(target)));
        var trail = (await admin.GetJson($"/v1/instances/{vm}/actions"))["items"]!.AsArray().Select(a => a!.Str("action")).ToList();
        Assert.Equal(["migration-failed", "host-failed"], trail.SkipWhile(a => a != "migration-failed").Take(2));
        await Silence(source, false);
        await api.AdvanceAsync(Beat);
    }

    [Fact]
    public async Task SourceLostAfterTheSwitchover_CommitsTheMoveOnTheTarget_WhichHoldsTheWholeGuest()
    {
        var (cloud, vm, source, target) = await RunningVmAsync();
        var admin = api.Admin();
        var (started, run, kill) = await StartInAgentAsync(cloud, vm, new { bandwidthMbps = 100 });
        await WaitForAsync(started.Id(), m => m["stage"]?.GetValue<string>() == "pre-copy", "reached pre-copy");
        await WaitForDriverAsync(vm);

        // The source switches over (its last pages sent, the guest paused on both sides), records it, and its agent dies.
        await DieAsync(run, kill);
        await api.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<IaasDbContext>();
            var sourceRef = (await HostRefs.FindAsync(db, source, CancellationToken.None))!;
            await sp.GetRequiredService<HypervisorDrivers>().For<ILiveMigrationDriver>("fake").ForceCompleteLiveMigrationAsync(sourceRef, vm, CancellationToken.None);
            var m = await db.Migrations.SingleAsync(x => x.Id == started.Id());
            m.RecordSwitchover(PreCopyOutcome.ForceCompleted, 20);
            m.Enter(MigrationStage.StopAndCopy, api.Clock.GetUtcNow());
            await db.SaveChangesAsync();
        });
        Assert.Equal(LiveMigrationState.Switched, api.Fake.MigrationOf(vm)!.State);

        await TakeDownAsync(source);
        var committed = await admin.GetJson($"/v1/migrations/{started.Id()}");
        Assert.Equal("activation", committed.Str("stage"));
        var instance = await admin.GetJson($"/v1/instances/{vm}");
        Assert.Equal(("migrating", target), (instance.Str("status"), instance["hostId"]!.GetValue<Guid>()));   // until it runs there
        Assert.Equal((0, 2), (await api.AllocatedVcpusAsync(source), await api.AllocatedVcpusAsync(target)));

        // Its lost job is re-driven where the VM now is (the fake's work runs on the shared queue) and activates the guest.
        api.Clock.Advance(TimeSpan.FromSeconds(61));
        await api.TickAsync();
        var done = await WaitForAsync(started.Id(), m => m.Str("status") != "running", "completed");
        Assert.Equal("completed", done.Str("status"));
        Assert.Equal("pre-migration reservation pre-copy stop-and-copy commitment activation", Stages(done));
        Assert.Equal((target, VmPowerState.Running), (api.Fake.Find(vm)!.HostId, api.Fake.Find(vm)!.Power));
        Assert.Equal("running", (await admin.GetJson($"/v1/instances/{vm}")).Str("status"));
        var trail = (await admin.GetJson($"/v1/instances/{vm}/actions"))["items"]!.AsArray().Select(a => a!.Str("action")).ToList();
        Assert.Contains("source-failed", trail);
        Assert.DoesNotContain("host-failed", trail);
        await Silence(source, false);
        await api.AdvanceAsync(Beat);
    }

    [Fact]
    public async Task PostCopy_IsReportedAsItsPushAndPullStages_WithTheHypervisorsTimeWithinTheWallTime()
    {
        var plan = await PostCopyPlanAsync();
        var (_, vm, source, target) = await RunningVmAsync(plan);
        api.Fake.SetGuestMemory(vm, new GuestMemory(4096, 2048, 1024, 5000));      // dirties far faster than the link: never converges
        var started = await api.MigrateOkAsync(vm, new { bandwidthMbps = 1000 });
        var done = await api.SettleMigrationAsync(started.Id(), TimeSpan.FromMilliseconds(250));

        Assert.Equal(("completed", "post-copy"), (done.Str("status"), done.Str("preCopyOutcome")));
        Assert.Equal("pre-migration reservation pre-copy stop-and-copy post-copy commitment activation", Stages(done));
        var stages = done["stages"]!.AsArray().ToDictionary(s => s!.Str("stage"), s => s!);
        double Ms(string stage) => (stages[stage]!["endedAt"]!.GetValue<DateTimeOffset>() - stages[stage]!["startedAt"]!.GetValue<DateTimeOffset>()).TotalMilliseconds;
        Assert.True(Ms("post-copy") > 1000, $"the pull of ~1 GiB at ≈119 MiB/s takes seconds, not {Ms("post-copy")} ms");
        // The hypervisor's own total covers push and pull; it cannot exceed the time the migration took.
        var wall = (stages["post-copy"]!["endedAt"]!.GetValue<DateTimeOffset>() - stages["pre-copy"]!["startedAt"]!.GetValue<DateTimeOffset>()).TotalMilliseconds;
        var total = done["hypervisorTotalMs"]!.GetValue<double>();
        Assert.True(total <= wall + 500 && total >= Ms("post-copy"), $"hypervisorTotalMs {total} against {wall} ms of push and pull");
        Assert.Equal(("running", target), ((await api.Admin().GetJson($"/v1/instances/{vm}")).Str("status"), api.Fake.Find(vm)!.HostId));
        Assert.Equal((0, 2), (await api.AllocatedVcpusAsync(source), await api.AllocatedVcpusAsync(target)));
    }

    [Fact]
    public async Task SourceLostDuringPostCopysPull_LosesTheGuest_AndSaysSo()
    {
        var plan = await PostCopyPlanAsync();
        var (cloud, vm, source, target) = await RunningVmAsync(plan);
        var admin = api.Admin();
        api.Fake.SetGuestMemory(vm, new GuestMemory(4096, 2048, 1024, 5000));
        var (started, run, kill) = await StartInAgentAsync(cloud, vm, new { bandwidthMbps = 100 });   // a pull of minutes at ≈12 MiB/s
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonObject m;
        while ((m = await admin.GetJson($"/v1/migrations/{started.Id()}"))["stage"]?.GetValue<string>() != "post-copy")
        {
            Assert.True(DateTime.UtcNow < deadline, $"never reached post-copy: {m.ToJsonString()}");
            api.Clock.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Delay(20);
        }
        await (await admin.PostAsync($"/v1/migrations/{started.Id()}/actions/cancel", null)).ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");
        await DieAsync(run, kill);

        await TakeDownAsync(source);
        var lost = await admin.GetJson($"/v1/migrations/{started.Id()}");
        Assert.Equal("failed", lost.Str("status"));
        Assert.Contains("lost during post-copy", lost.Str("reason"));
        var instance = await admin.WaitForStatusAsync(vm, "error");
        Assert.Contains("lost during post-copy", instance.Str("statusReason"));
        // The target's claim went with the lost copy; the source's with the evacuation of an instance in error.
        Assert.Equal((0, 0), (await api.AllocatedVcpusAsync(source), await api.AllocatedVcpusAsync(target)));
        await Silence(source, false);
        await api.AdvanceAsync(Beat);
    }

    private async Task<Guid> PostCopyPlanAsync()
    {
        var plan = await api.PlanAsync(500, false);
        (await api.Admin().PatchAsJsonAsync($"/v1/sla-plans/{plan}", new { migrationPolicy = new { escalation = "post-copy" } })).EnsureSuccessStatusCode();
        return plan;
    }

    private async Task Silence(Guid hostId, bool silent) =>
        (await api.Admin().PutAsJsonAsync($"/v1/simulation/hosts/{hostId}/silence", new { silent })).EnsureSuccessStatusCode();
}
