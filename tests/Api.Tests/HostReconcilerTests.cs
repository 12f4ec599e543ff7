using IaasApi.Infrastructure.Hosts;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Api.Tests;

/// <summary>
/// A host's agent comparing its host with the database (the reconciler a restarted agent runs first): a VM the control
/// plane does not know is reported on the host, never destroyed; a running instance whose VM shut itself off reads
/// stopped; a stopped instance whose VM runs is powered off; an instance whose VM vanished goes to error with its
/// capacity released; instances with work in flight are left to their jobs.
/// </summary>
public sealed class HostReconcilerTests(ApiFactory api)
{
    [Fact]
    public async Task Reconcile_ReportsUnknownVms_AndBringsTheDatabaseAndTheHostBackInLine()
    {
        var cloud = await api.SeedAsync(hosts: 1, flavorVcpus: 1);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var host = cloud.HostIds[0];
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++) ids.Add((await tenant.CreateOkAsync(cloud)).Id());
        foreach (var id in ids) await tenant.WaitForStatusAsync(id, "running");
        var (crashed, restarted, vanished, busy) = (ids[0], ids[1], ids[2], ids[3]);
        (await tenant.PostAsync($"/v1/instances/{restarted}/actions/stop", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(restarted, "stopped");
        Assert.Equal(4, await api.AllocatedVcpusAsync(host));

        // Behind the control plane's back: a guest powers off, a stopped VM is started by hand, a VM's files are removed,
        // and a VM nobody asked for appears. One instance has work in flight (its stop job is lost): left to its job.
        var where = new HostRef(host, "host", "fake");
        api.Fake.SetPowerOutOfBand(crashed, VmPowerState.Shutoff);
        api.Fake.SetPowerOutOfBand(restarted, VmPowerState.Running);
        await api.Fake.DestroyOutOfBandAsync(vanished);
        var stranger = Guid.NewGuid();
        await api.WithScopeAsync(sp => sp.GetRequiredService<IaasApi.Infrastructure.Hypervisors.HypervisorDrivers>().For("fake")
            .SpawnAsync(where, new InstanceSpec(stranger, "stranger", new Resources(1, 512, 1, 0), null, null, null), CancellationToken.None));
        api.Jobs.DropNext(1, cloud.TenantId);
        (await tenant.PostAsync($"/v1/instances/{busy}/actions/stop", null)).EnsureSuccessStatusCode();
        api.Fake.SetPowerOutOfBand(busy, VmPowerState.Shutoff);

        ReconcileReport? report = null;
        await api.WithScopeAsync(async sp => report = await sp.GetRequiredService<HostReconciler>().ReconcileAsync(where, CancellationToken.None));
        Assert.Equal([stranger], report!.Unmanaged);
        Assert.Equal((1, 1, 1), (report.FoundStopped, report.PoweredOff, report.Vanished));

        var crashedNow = await tenant.GetJson($"/v1/instances/{crashed}");
        Assert.Equal("stopped", crashedNow.Str("status"));
        var trail = await tenant.GetJson($"/v1/instances/{crashed}/actions");
        Assert.Contains(trail["items"]!.AsArray(), a => a!.Str("action") == "found-stopped" && a!.Str("fromStatus") == "running");
        Assert.Equal(VmPowerState.Shutoff, api.Fake.Find(restarted)!.Power);      // powered off again: the database says stopped
        Assert.Equal("stopped", (await tenant.GetJson($"/v1/instances/{restarted}")).Str("status"));
        var vanishedNow = await tenant.GetJson($"/v1/instances/{vanished}");
        Assert.Equal("error", vanishedNow.Str("status"));
        Assert.Contains("gone", vanishedNow.Str("statusReason"));
        Assert.Equal("stopping", (await tenant.GetJson($"/v1/instances/{busy}")).Str("status"));   // its job's business
        Assert.Equal(3, await api.AllocatedVcpusAsync(host));                     // the vanished VM's capacity came back
        Assert.NotNull(api.Fake.Find(stranger));                                  // reported, not destroyed
        var reported = (await admin.GetJson($"/v1/hosts/{host}"))["reported"]!;
        Assert.Equal([stranger], reported["unmanagedVms"]!.AsArray().Select(x => x!.GetValue<Guid>()).ToArray());
        Assert.NotNull(reported["reconciledAt"]);

        // Once the operator deals with it (here: destroys it), the next pass reports nothing.
        await api.Fake.DestroyOutOfBandAsync(stranger);
        await api.WithScopeAsync(async sp => report = await sp.GetRequiredService<HostReconciler>().ReconcileAsync(where, CancellationToken.None));
        Assert.False(report!.Any);
        Assert.Empty((await admin.GetJson($"/v1/hosts/{host}"))["reported"]!["unmanagedVms"]!.AsArray());
        (await tenant.PostAsync($"/v1/instances/{crashed}/actions/start", null)).EnsureSuccessStatusCode();   // found stopped: starts again
        await tenant.WaitForStatusAsync(crashed, "running");
    }

    [Fact]
    public async Task Reconcile_DestroysTheLeftoversOfDeletedOrMovedInstances_ButNotAStrangersVm()
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorVcpus: 1);
        var tenant = api.Client(cloud.TenantKey);
        var (host, other) = (cloud.HostIds[0], cloud.HostIds[1]);
        (await api.Admin().PatchAsJsonAsync($"/v1/hosts/{other}", new { state = "disabled" })).EnsureSuccessStatusCode();
        var gone = (await tenant.CreateOkAsync(cloud)).Id();
        var moved = (await tenant.CreateOkAsync(cloud)).Id();
        foreach (var id in new[] { gone, moved }) await tenant.WaitForStatusAsync(id, "running");
        (await api.Admin().PatchAsJsonAsync($"/v1/hosts/{other}", new { state = "enabled" })).EnsureSuccessStatusCode();
        (await tenant.DeleteAsync($"/v1/instances/{gone}")).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(gone, "deleted");
        var migration = await api.MigrateOkAsync(moved, new { targetHostId = other });
        Assert.Equal("completed", (await api.SettleMigrationAsync(migration.Id(), TimeSpan.FromMilliseconds(250))).Str("status"));

        // What a worker killed between a driver call and its clean-up leaves behind: the deleted instance's VM, the moved
        // one's old copy; and a VM of no instance at all.
        var where = new HostRef(host, "host", "fake");
        var drivers = api.Services.GetRequiredService<IaasApi.Infrastructure.Hypervisors.HypervisorDrivers>();
        var stranger = Guid.NewGuid();
        foreach (var id in new[] { gone, stranger })
            await drivers.For("fake").SpawnAsync(where, new InstanceSpec(id, "left", new Resources(1, 512, 1, 0), null, null, null), CancellationToken.None);
        var leftover = api.Fake.VmsOn(other).Single(v => v.InstanceId == moved);
        await api.Fake.DestroyOutOfBandAsync(moved);                              // (the model holds one copy per VM: put the old one back on the source)
        await drivers.For("fake").SpawnAsync(where, new InstanceSpec(moved, "old copy", leftover.Resources, null, null, null), CancellationToken.None);

        ReconcileReport? report = null;
        await api.WithScopeAsync(async sp => report = await sp.GetRequiredService<HostReconciler>().ReconcileAsync(where, CancellationToken.None));
        Assert.Equal(2, report!.Reaped);
        Assert.Equal([stranger], report.Unmanaged);
        Assert.Equal([stranger], api.Fake.VmsOn(host).Select(v => v.InstanceId).ToArray());
        foreach (var id in new[] { gone, moved })
            Assert.Contains((await api.Admin().GetJson($"/v1/instances/{id}/actions"))["items"]!.AsArray(), a => a!.Str("action") == "reaped");
        await api.Fake.DestroyOutOfBandAsync(stranger);
        await drivers.For("fake").SpawnAsync(new HostRef(other, "other", "fake"), new InstanceSpec(moved, "vm", leftover.Resources, null, null, null),
            CancellationToken.None);                                              // the moved instance's own copy, as it was
    }
}
