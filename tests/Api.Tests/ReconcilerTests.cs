using System.Net;
using Hangfire;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Infrastructure.Jobs;
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
        api.Jobs.DropNext(1);

        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await Task.Delay(500);
        Assert.Equal("building", (await tenant.GetJson($"/v1/instances/{id}")).Str("status"));   // nothing is carrying it

        var report = await ReconcileAfterAsync(TimeSpan.FromMinutes(2));
        Assert.True(report.Redriven >= 1);
        await tenant.WaitForStatusAsync(id, "running");
    }

    [Fact]
    public async Task Reconciler_Redrives_ALostActionJob()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");
        api.Jobs.DropNext(1);

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
        api.Jobs.DropNext(100);
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
    public async Task TickJob_RunsTheReconciler_ThroughHangfire()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        api.Jobs.DropNext(1);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        api.Clock.Advance(TimeSpan.FromMinutes(2));

        api.Services.GetRequiredService<IRecurringJobManager>().Trigger(TickJob.RecurringJobId);

        await tenant.WaitForStatusAsync(id, "running", timeoutMs: 20000);
    }

    private async Task<ReconcileReport> ReconcileAfterAsync(TimeSpan elapsed)
    {
        api.Clock.Advance(elapsed);
        ReconcileReport? report = null;
        await api.WithScopeAsync(async sp => report = await sp.GetRequiredService<OperationReconciler>().RunAsync(CancellationToken.None));
        return report!;
    }
}
