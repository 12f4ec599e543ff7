using System.Net;
using Microsoft.EntityFrameworkCore;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// POST /v1/migrations/preview: the target placement would choose, the pre-copy model's prediction from the guest's
/// memory behaviour (set on the fake driver), the recommendation, and the refusals — nothing claimed or moved.
/// </summary>
public sealed class MigrationPreviewTests(ApiFactory api)
{
    private async Task<System.Text.Json.Nodes.JsonObject> PreviewAsync(object body) =>
        await (await api.Admin().PostAsJsonAsync("/v1/migrations/preview", body)).ExpectAsync(HttpStatusCode.OK);

    [Fact]
    public async Task Preview_OfAnIdleGuest_ChoosesTheOtherHost_AndPredictsAConvergingPreCopy()
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorMemoryMiB: 4096);
        var tenant = api.Client(cloud.TenantKey);
        var vm = await tenant.CreateOkAsync(cloud);
        await tenant.WaitForStatusAsync(vm.Id(), "running");
        var source = (await api.Admin().GetJson($"/v1/instances/{vm.Id()}"))["hostId"]!.GetValue<Guid>();

        var preview = await PreviewAsync(new { instanceId = vm.Id() });
        Assert.Equal(cloud.HostIds.Single(h => h != source), preview["targetHostId"]!.GetValue<Guid>());
        Assert.Equal(("live", null), (preview.Str("recommendedType"), preview["recommendedEscalation"]?.GetValue<string>()));
        Assert.Equal(2048, preview["guest"]!["touchedMiB"]!.GetValue<double>());          // an idle guest: half its memory
        Assert.Equal(1192.1, preview["bandwidthMiBps"]!.GetValue<double>());                 // 10,000 Mbps
        var prediction = preview["prediction"]!;
        Assert.Equal(("auto-converge", "converged", 1), (prediction.Str("escalation"), prediction.Str("outcome"), prediction["roundCount"]!.GetValue<int>()));
        Assert.InRange(prediction["totalMs"]!.GetValue<double>(), 1700, 1750);              // 2,048 MiB at 1,192 MiB/s + switch-over
        Assert.Equal(3, preview["alternatives"]!.AsArray().Count);
        Assert.Equal(source, (await api.Admin().GetJson($"/v1/instances/{vm.Id()}"))["hostId"]!.GetValue<Guid>());   // nothing moved
    }

    [Fact]
    public async Task Preview_OfAGuestThatOutrunsTheLink_RecommendsAnEscalation_AndRespectsTheRequestedLimits()
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorMemoryMiB: 512, hostMemoryMiB: 8192);
        var tenant = api.Client(cloud.TenantKey);
        var vm = await tenant.CreateOkAsync(cloud);
        await tenant.WaitForStatusAsync(vm.Id(), "running");
        var admin = api.Admin();
        await (await admin.PutAsJsonAsync($"/v1/simulation/instances/{vm.Id()}/guest-memory", new { touchedMiB = 600, workingSetMiB = 128, dirtyRateMiBps = 130 }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");                // more than the guest's 512 MiB
        (await admin.PutAsJsonAsync($"/v1/simulation/instances/{vm.Id()}/guest-memory", new { touchedMiB = 330, workingSetMiB = 128, dirtyRateMiBps = 130 }))
            .EnsureSuccessStatusCode();

        // 1,074 Mbps = 128 MiB/s: the guest dirties its 128 MiB buffer faster than the link drains it.
        var slow = await PreviewAsync(new { instanceId = vm.Id(), bandwidthMbps = 1074, maxDowntimeMs = 300 });
        Assert.Equal(("live", "auto-converge"), (slow.Str("recommendedType"), slow.Str("recommendedEscalation")));
        Assert.Equal((330, 128, 130), (slow["guest"]!["touchedMiB"]!.GetValue<double>(), slow["guest"]!["workingSetMiB"]!.GetValue<double>(),
                                       slow["guest"]!["dirtyRateMiBps"]!.GetValue<double>()));
        var alternatives = slow["alternatives"]!.AsArray().ToDictionary(a => a!.Str("escalation"), a => a!);
        Assert.Equal("aborted", alternatives["abort"]!.Str("outcome"));
        Assert.Contains("stalled", alternatives["abort"]!.Str("detail"));
        Assert.Equal("post-copy", alternatives["post-copy"]!.Str("outcome"));
        Assert.Equal(20, alternatives["post-copy"]!["downtimeMs"]!.GetValue<double>());

        // At 32 MiB/s with a 50 ms budget, throttling does not get there in time either: post-copy.
        var slower = await PreviewAsync(new { instanceId = vm.Id(), bandwidthMbps = 268, maxDowntimeMs = 50 });
        Assert.Equal("post-copy", slower.Str("recommendedEscalation"));
        Assert.Contains("loses the guest", slower.Str("recommendation"));
    }

    [Fact]
    public async Task Preview_Refusals_AreClearAndChangeNothing()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var vm = await tenant.CreateOkAsync(cloud);
        await tenant.WaitForStatusAsync(vm.Id(), "running");
        var admin = api.Admin();

        var nowhere = await (await admin.PostAsJsonAsync("/v1/migrations/preview", new { instanceId = vm.Id() }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        Assert.Contains("No host can take", nowhere.Str("detail"));
        var self = await (await admin.PostAsJsonAsync("/v1/migrations/preview", new { instanceId = vm.Id(), targetHostId = cloud.HostIds[0] }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        Assert.Contains(cloud.HostIds[0].ToString(), self.Str("detail"));
        await (await admin.PostAsJsonAsync("/v1/migrations/preview", new { instanceId = vm.Id(), targetHostId = Guid.NewGuid() }))
            .ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await admin.PostAsJsonAsync("/v1/migrations/preview", new { instanceId = Guid.NewGuid() }))
            .ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await admin.PostAsJsonAsync("/v1/migrations/preview", new { instanceId = vm.Id(), bandwidthMbps = 0 }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await admin.PostAsJsonAsync("/v1/migrations/preview", new { }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        var forbidden = await tenant.PostAsJsonAsync("/v1/migrations/preview", new { instanceId = vm.Id() });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        var cloud2 = await api.SeedAsync(hosts: 2);
        var tenant2 = api.Client(cloud2.TenantKey);
        var stopped = await tenant2.CreateOkAsync(cloud2);
        await tenant2.WaitForStatusAsync(stopped.Id(), "running");
        (await tenant2.PostAsync($"/v1/instances/{stopped.Id()}/actions/stop", null)).EnsureSuccessStatusCode();
        await tenant2.WaitForStatusAsync(stopped.Id(), "stopped");
        var cold = await PreviewAsync(new { instanceId = stopped.Id() });
        Assert.Equal("cold", cold.Str("recommendedType"));
        Assert.Null(cold["prediction"]);
    }

    [Fact]
    public async Task Preview_OfAGuestItsDriverCannotRead_AssumesAnIdleGuest_AndSaysSo()
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorMemoryMiB: 1024);
        var tenant = api.Client(cloud.TenantKey);
        var vm = await tenant.CreateOkAsync(cloud);
        await tenant.WaitForStatusAsync(vm.Id(), "running");
        await api.Fake.DestroyOutOfBandAsync(vm.Id());                            // the driver no longer knows the VM
        var preview = await PreviewAsync(new { instanceId = vm.Id() });
        Assert.Contains("could not be read", preview.Str("recommendation"));
        Assert.Equal(512, preview["guest"]!["touchedMiB"]!.GetValue<double>());   // an idle guest of 1 GiB: half touched
    }

    [Fact]
    public async Task Preview_UsesWhatTheAgentMeasured_AndTheRateRecentMigrationsReached_WhenTheyFellShortOfTheLink()
    {
        var cloud = await api.SeedAsync(hosts: 2, flavorMemoryMiB: 512, hostMemoryMiB: 8192);
        var tenant = api.Client(cloud.TenantKey);
        var vm = (await tenant.CreateOkAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(vm, "running");
        var source = (await api.Admin().GetJson($"/v1/instances/{vm}"))["hostId"]!.GetValue<Guid>();
        var target = cloud.HostIds.Single(h => h != source);

        // What a qemu host's agent writes on the instance (non-zero memory, its working set and dirty rate), and three
        // completed migrations out of the source that reached ~250 ms + MiB / 200 MiB/s on a 1,192 MiB/s link: host-bound.
        await api.WithDbAsync(async db =>
        {
            var now = db.Clock.GetUtcNow();
            await db.Instances.Where(i => i.Id == vm).ExecuteUpdateAsync(s => s.SetProperty(i => i.GuestTouchedMiB, 60.0)
                .SetProperty(i => i.GuestWorkingSetMiB, 2.0).SetProperty(i => i.GuestDirtyRateMiBps, 2.0).SetProperty(i => i.GuestMeasuredAt, now));
            var other = (await tenant.CreateOkAsync(cloud)).Id();
            foreach (var (mib, ms) in new[] { (60.0, 550.0), (100.0, 750.0), (140.0, 950.0) })
            {
                var m = new IaasApi.Domain.Migrations.Migration(other, cloud.TenantId, IaasApi.Domain.Migrations.MigrationType.Live, source, target, 300, null, now);
                foreach (var stage in IaasApi.Domain.Migrations.Migration.StagesOf(IaasApi.Domain.Migrations.MigrationType.Live))
                {
                    m.Enter(stage, now);
                    if (stage == IaasApi.Domain.Migrations.MigrationStage.StopAndCopy)
                        m.RecordSwitchover(IaasApi.Domain.Migrations.PreCopyOutcome.Converged, 30, ms, mib);
                }
                m.Complete("Completed.", now);
                db.Migrations.Add(m);
                await db.SaveChangesAsync();
            }
            return 0;
        });

        var preview = await PreviewAsync(new { instanceId = vm });
        Assert.Equal((60, 2), (preview["guest"]!["touchedMiB"]!.GetValue<double>(), preview["guest"]!["workingSetMiB"]!.GetValue<double>()));
        Assert.Equal(200, preview["bandwidthMiBps"]!.GetValue<double>(), 1);       // learned, below the link's 1,192
        Assert.Contains("measured it", preview.Str("recommendation"));
        Assert.Contains("as recent migrations went (3 of them", preview.Str("recommendation"));
        Assert.InRange(preview["prediction"]!["totalMs"]!.GetValue<double>(), 540, 600);   // 250 ms + 60 MiB at 200 MiB/s + a round + switch-over
    }
}
