using IaasApi.Infrastructure.Operations;
using System.Net;
using Hangfire;
using IaasApi.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Api.Tests;

/// <summary>Every accepted request reaches a terminal status, even when its job is lost.</summary>
public sealed class ReconcilerTests(ApiFactory api)
{
    [Fact]
    public async Task Reconciler_Redrives_ACreateCommittedButNeverEnqueued()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        api.Jobs.DropNext(1, cloud.TenantId);

        var created = await tenant.CreateInstanceAsync(cloud);
        var id = created.Id();
        await Task.Delay(500);
        Assert.Equal("building", (await tenant.GetJson($"/v1/instances/{id}")).Str("status"));   // nothing is carrying it

        await ReconcileAfterAsync(TimeSpan.FromMinutes(2));
        // Re-driven once, by this pass or by the tick's, which runs beside it on the same advanced clock.
        var operationId = Guid.Parse(created.Str("operationId"));
        Assert.Equal(1, await api.WithDbAsync(db => db.Operations.AsNoTracking().Where(o => o.Id == operationId).Select(o => o.Redrives).SingleAsync()));
        await tenant.WaitForStatusAsync(id, "running");
    }

    [Fact]
    public async Task Reconciler_Redrives_ALostActionJob()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");
        api.Jobs.DropNext(1, cloud.TenantId);

        (await tenant.PostAsync($"/v1/instances/{id}/actions/stop", null)).EnsureSuccessStatusCode();
        await Task.Delay(300);
        Assert.Equal("stopping", (await tenant.GetJson($"/v1/instances/{id}")).Str("status"));

        await ReconcileAfterAsync(TimeSpan.FromMinutes(2));
        await tenant.WaitForStatusAsync(id, "stopped");
    }

    [Fact]
    public async Task Reconciler_LeavesAloneWork_ThatIsStillCarried()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");

        var report = await ReconcileAfterAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(0, report.GivenUp);
        var op = await api.WithDbAsync(db => Task.FromResult(db.Operations.Single(o => o.ResourceId == id)));
        Assert.Equal(0, op.Redrives);   // finished work is not re-driven
    }

    [Fact]
    public async Task Reconciler_GivesUp_AfterMaxRedrives_AndReleasesCapacity()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        api.Jobs.DropNext(100, cloud.TenantId);
        var created = await tenant.CreateInstanceAsync(cloud);

        for (var i = 0; i < 3; i++) await ReconcileAfterAsync(TimeSpan.FromMinutes(2));   // MaxRedrives = 2, then give up
        api.Jobs.DropNext(0);

        var instance = await tenant.WaitForStatusAsync(created.Id(), "error");
        Assert.StartsWith("Gave up after 2 re-drives", instance.Str("statusReason"));
        var op = await tenant.GetJson($"/v1/operations/{created["operationId"]}");
        Assert.Equal(("failed", "https://iaasapi.dev/problems/gave-up"), (op.Str("status"), op["error"]!.Str("type")));
        var host = await api.Admin().GetJson($"/v1/hosts/{cloud.HostIds[0]}");
        Assert.Equal(0, host["allocated"]!["memoryMiB"]!.GetValue<int>());
        Assert.Equal("system:reconciler", (await tenant.GetJson($"/v1/instances/{created.Id()}/actions"))["items"]!.AsArray()[^1]!.Str("actor"));
    }

    [Fact]
    public async Task Reconciler_Redrives_WorkHeldByADeadServer_ButNotByALiveOne()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        api.Jobs.DropNext(2, cloud.TenantId);
        var dead = (await tenant.CreateInstanceAsync(cloud)).Id();
        var alive = (await tenant.CreateInstanceAsync(cloud)).Id();
        var liveServer = JobStorage.Current.GetMonitoringApi().Servers().First().Name;
        // A worker took each job and then... one server crashed (no heartbeat), the other is this test host's own.
        await HoldJobAsync(dead, "crashed-host:1234:0f0f0f0f");
        await HoldJobAsync(alive, liveServer);

        var report = await ReconcileAfterAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(1, report.Redriven);
        await tenant.WaitForStatusAsync(dead, "running");
        Assert.Equal("building", (await tenant.GetJson($"/v1/instances/{alive}")).Str("status"));   // still someone's work
    }

    /// <summary>Puts a (never-run) Hangfire job in the Processing state on <paramref name="serverId"/> and makes it the operation's job.</summary>
    private async Task HoldJobAsync(Guid instanceId, string serverId)
    {
        await api.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<IaasApi.Infrastructure.Persistence.IaasDbContext>();
            var op = db.Operations.Single(o => o.ResourceId == instanceId);
            var jobId = api.Services.GetRequiredService<IBackgroundJobClient>().Create(
                Hangfire.Common.Job.FromExpression<IaasApi.Infrastructure.Operations.IOperationJobs>(j => j.RunAsync(op.Id, op.Kind, CancellationToken.None)),
                new HeldBy(serverId));
            db.Entry(op).Property(o => o.JobId).CurrentValue = jobId;
            await db.SaveChangesAsync();
        });
    }

    /// <summary>The "Processing" state as a worker records it (Hangfire's own ProcessingState cannot be constructed outside it).</summary>
    private sealed class HeldBy(string serverId) : Hangfire.States.IState
    {
        public string Name => Hangfire.States.ProcessingState.StateName;
        public string? Reason => "held by a test";
        public bool IsFinal => false;
        public bool IgnoreJobLoadException => false;
        public Dictionary<string, string> SerializeData() => new() { ["ServerId"] = serverId, ["WorkerId"] = "worker-1", ["StartedAt"] = "0" };
    }

    [Fact]
    public async Task TickJob_RunsTheReconciler_ThroughHangfire()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        api.Jobs.DropNext(1, cloud.TenantId);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        api.Clock.Advance(TimeSpan.FromMinutes(2));

        api.Services.GetRequiredService<IRecurringJobManager>().Trigger(IaasApi.Infrastructure.Operations.TickJob.RecurringJobId);

        await tenant.WaitForStatusAsync(id, "running", timeoutMs: 20000);
    }

    private async Task<OperationReconcileReport> ReconcileAfterAsync(TimeSpan elapsed)
    {
        api.Clock.Advance(elapsed);
        OperationReconcileReport? report = null;
        await api.WithScopeAsync(async sp => report = await sp.GetRequiredService<OperationReconciler>().RunAsync(CancellationToken.None));
        return report!;
    }
}
