using IaasApi.Infrastructure.Operations;
using IaasApi.Infrastructure.VmMigrations;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Domain.Hypervisors;
using IaasApi.Infrastructure.Hypervisors.Fake;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Api.Tests;

/// <summary>
/// Cold migration through the API with the fake driver: stop → copy disks → register → commitment → activation, the
/// VM started again on the target if it ran; a fault at any stage before the commitment leaves it where it was, as it
/// was (started again if it ran), with exactly one allocation; after the commitment it is the target's.
/// </summary>
public sealed class ColdMigrationTests(ApiFactory api)
{
    /// <summary>100 Gbit/s: the fake's 5 GiB written disk (a quarter of the 20 GiB flavor disk) copies in 0.43 s of test clock.</summary>
    private const int FastLink = 100_000;

    private async Task<(Cloud Cloud, Guid Vm, Guid Source, Guid Target)> VmAsync(bool stopped = false)
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorVcpus: 2, hostMemoryMiB: 65536);
        var tenant = api.Client(cloud.TenantKey);
        var vm = (await tenant.CreateOkAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(vm, "running");
        if (stopped)
        {
            (await tenant.PostAsync($"/v1/instances/{vm}/actions/stop", null)).EnsureSuccessStatusCode();
            await tenant.WaitForStatusAsync(vm, "stopped");
        }
        var source = (await api.Admin().GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>();
        return (cloud, vm, source, cloud.HostIds.Single(h => h != source));
    }

    private Task<JsonObject> MigrateAsync(Guid vm, object body) => api.MigrateOkAsync(vm, body);

    private Task<JsonObject> SettleAsync(Guid migrationId) => api.SettleMigrationAsync(migrationId, TimeSpan.FromMilliseconds(100));

    private async Task AssertOnlyOn(Guid vm, Guid host, Guid other, string status, VmPowerState power)
    {
        var instance = await api.Admin().GetJson($"/v1/instances/{vm}");
        Assert.Equal((status, host), (instance.Str("status"), instance["hostId"]!.GetValue<Guid>()));
        Assert.Equal((2, 0), (await api.AllocatedVcpusAsync(host), await api.AllocatedVcpusAsync(other)));
        Assert.Equal((host, power), (api.Fake.Find(vm)!.HostId, api.Fake.Find(vm)!.Power));
        Assert.Null(api.Fake.DiskCopyOf(vm));
    }

    [Fact]
    public async Task Cold_OfARunningVm_StopsCopiesRegistersCommitsAndStartsItOnTheTarget()
    {
        var (_, vm, source, target) = await VmAsync();
        var started = await MigrateAsync(vm, new { type = "cold", bandwidthMbps = FastLink });
        Assert.Equal(("cold", true), (started.Str("type"), started["restartOnTarget"]!.GetValue<bool>()));

        var done = await SettleAsync(started.Id());
        Assert.Equal("completed", done.Str("status"));
        Assert.Equal(["pre-migration", "reservation", "stop", "copy-disks", "register", "commitment", "activation"],
                     done["stages"]!.AsArray().Select(x => x!.Str("stage")).ToArray());
        Assert.All(done["stages"]!.AsArray(), x => Assert.NotNull(x!["endedAt"]));
        Assert.Equal((5120.0, 5120.0), (done["diskCopiedMiB"]!.GetValue<double>(), done["diskTotalMiB"]!.GetValue<double>()));
        Assert.True(done["downtimeMs"]!.GetValue<double>() > 0);
        Assert.Equal(100, done["progress"]!.GetValue<int>());
        await AssertOnlyOn(vm, target, source, "running", VmPowerState.Running);
        var trail = (await api.Admin().GetJson($"/v1/instances/{vm}/actions"))["items"]!.AsArray().Select(a => a!.Str("action")).ToList();
        Assert.Equal(["migrate", "migrated", "activated"], trail.SkipWhile(a => a != "migrate").ToList());
    }

    [Fact]
    public async Task Cold_OfAStoppedVm_IsTheDefault_AndItStaysStoppedOnTheTarget()
    {
        var (cloud, vm, source, target) = await VmAsync(stopped: true);
        var started = await MigrateAsync(vm, new { bandwidthMbps = FastLink });
        Assert.Equal(("cold", false), (started.Str("type"), started["restartOnTarget"]!.GetValue<bool>()));
        var done = await SettleAsync(started.Id());
        Assert.Equal(("completed", 0.0), (done.Str("status"), done["downtimeMs"]!.GetValue<double>()));
        Assert.DoesNotContain(done["stages"]!.AsArray(), x => x!["endedAt"] is null);
        await AssertOnlyOn(vm, target, source, "stopped", VmPowerState.Shutoff);

        // It starts where it now lives.
        var tenant = api.Client(cloud.TenantKey);
        (await tenant.PostAsync($"/v1/instances/{vm}/actions/start", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(vm, "running");
        await AssertOnlyOn(vm, target, source, "running", VmPowerState.Running);
    }

    [Theory]
    [InlineData(FakeOperation.Power)]        // the stop
    [InlineData(FakeOperation.CopyDisk)]     // the copy, failing under way
    [InlineData(FakeOperation.Register)]     // the registration on the target
    public async Task Cold_FailingBeforeTheCommitment_LeavesTheVmRunningOnItsSource(FakeOperation stage)
    {
        var (_, vm, source, target) = await VmAsync();
        // The stop fails at the power call; the copy once under way (the start succeeds); the registration on the target.
        var hostId = stage == FakeOperation.Register ? target : source;
        if (stage != FakeOperation.CopyDisk) api.Fake.InjectFault(stage, hostId, vm, transient: false, count: 1, "injected");
        var started = await MigrateAsync(vm, new { type = "cold", bandwidthMbps = stage == FakeOperation.CopyDisk ? 1000 : FastLink });
        if (stage == FakeOperation.CopyDisk)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (api.Fake.DiskCopyOf(vm) is null)
            {
                Assert.True(DateTime.UtcNow < deadline, "The copy never started.");
                await Task.Delay(10);
            }
            api.Fake.InjectFault(stage, source, vm, transient: false, count: 1, "injected");
        }

        var failed = await SettleAsync(started.Id());
        Assert.Equal("failed", failed.Str("status"));
        Assert.Contains("injected", failed.Str("reason"));
        await AssertOnlyOn(vm, source, target, "running", VmPowerState.Running);
        var op = await api.Admin().GetJson($"/v1/operations/{failed["operationId"]!.GetValue<Guid>()}");
        Assert.Contains(stage == FakeOperation.Power ? "keeps running" : "started again", op["error"]!.Str("title"));
    }

    [Fact]
    public async Task Cold_FailingAtActivation_LeavesTheInstanceOnTheTarget_InError_WithOneAllocation()
    {
        var (_, vm, source, target) = await VmAsync();
        api.Fake.InjectFault(FakeOperation.Activate, target, vm, transient: false, count: 1, "injected activation failure");
        var failed = await SettleAsync((await MigrateAsync(vm, new { type = "cold", bandwidthMbps = FastLink })).Id());
        Assert.Equal("failed", failed.Str("status"));
        var instance = await api.Admin().GetJson($"/v1/instances/{vm}");
        Assert.Equal(("error", target), (instance.Str("status"), instance["hostId"]!.GetValue<Guid>()));
        Assert.Equal((0, 2), (await api.AllocatedVcpusAsync(source), await api.AllocatedVcpusAsync(target)));
    }

    [Fact]
    public async Task Cold_CancelledDuringTheCopy_DiscardsItAndStartsTheVmAgainOnItsSource()
    {
        var (_, vm, source, target) = await VmAsync();
        var started = await MigrateAsync(vm, new { type = "cold", bandwidthMbps = 100 });     // 52 s of copy at 12 MiB/s
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await api.Admin().GetJson($"/v1/migrations/{started.Id()}"))["stage"]?.GetValue<string>() != "copy-disks" || api.Fake.DiskCopyOf(vm) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "The copy never started.");
            await Task.Delay(10);
        }
        api.Clock.Advance(TimeSpan.FromSeconds(10));
        await (await api.Admin().PostAsync($"/v1/migrations/{started.Id()}/actions/force-complete", null))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");                       // live only
        (await api.Admin().PostAsync($"/v1/migrations/{started.Id()}/actions/cancel", null)).EnsureSuccessStatusCode();
        var cancelled = await SettleAsync(started.Id());
        Assert.Equal("cancelled", cancelled.Str("status"));
        Assert.InRange(cancelled["diskCopiedMiB"]!.GetValue<double>(), 1, 5119);
        await AssertOnlyOn(vm, source, target, "running", VmPowerState.Running);
    }

    [Fact]
    public async Task Cold_WorkerKilledMidCopy_LeavesTheVmOnItsSource_AndTheReconcilerFinishesIt()
    {
        var (cloud, vm, source, target) = await VmAsync();
        api.Jobs.DropNext(1, cloud.TenantId);                                     // the enqueue is lost: this test runs the job itself
        var started = await MigrateAsync(vm, new { type = "cold", bandwidthMbps = 1000 });
        var operationId = started["operationId"]!.GetValue<Guid>();
        using var kill = new CancellationTokenSource();
        var run = api.WithScopeAsync(sp => sp.GetRequiredService<IMigrationJobs>().RunAsync(operationId, kill.Token));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (api.Fake.DiskCopyOf(vm) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "The copy never started.");
            await Task.Delay(10);
        }
        kill.Cancel();                                                            // the worker dies in the middle of the copy
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal((source, VmPowerState.Shutoff), (api.Fake.Find(vm)!.HostId, api.Fake.Find(vm)!.Power));
        Assert.Equal((2, 2), (await api.AllocatedVcpusAsync(source), await api.AllocatedVcpusAsync(target)));   // the target's claim, held

        api.Clock.Advance(TimeSpan.FromMinutes(2));
        await api.WithScopeAsync(async sp => await sp.GetRequiredService<OperationReconciler>().RunAsync(CancellationToken.None));
        var done = await SettleAsync(started.Id());
        Assert.Equal("completed", done.Str("status"));
        await AssertOnlyOn(vm, target, source, "running", VmPowerState.Running);
    }
}
