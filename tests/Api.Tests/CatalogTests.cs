using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Api.Tests;

/// <summary>Inventory and catalog: create, read, patch, delete; unique names; in-use deletes are 409, never a cascade.</summary>
public sealed class CatalogTests(ApiFactory api)
{
    [Fact]
    public async Task Host_IsCreatedWithDefaults_AndReportsItsCapacity()
    {
        var admin = api.Admin();
        var region = await admin.PostOk("/v1/regions", new { name = TestCloud.Unique("region") });
        var zone = await admin.PostOk("/v1/zones", new { name = TestCloud.Unique("zone"), regionId = region.Id() });
        var host = await admin.PostOk("/v1/hosts", new
        {
            name = TestCloud.Unique("host"), zoneId = zone.Id(), hypervisor = "fake",
            capacity = new { vcpus = 32, memoryMiB = 131072, diskGiB = 2000, networkMbps = 25000 },
            reserved = new { vcpus = 2, memoryMiB = 4096, diskGiB = 0 },
            allocationRatios = new { cpu = 4.0 },
            cpuModel = "Intel Xeon Gold 6338", cpuFeatures = new[] { "avx2", "aes", "avx2" }, traits = new[] { "ssd" },
        });

        Assert.Equal(("enabled", "on", "fake"), (host.Str("state"), host.Str("power"), host.Str("hypervisor")));
        Assert.Equal(region.Id(), host["regionId"]!.GetValue<Guid>());
        Assert.Equal(120, host["usable"]!["vcpus"]!.GetValue<int>());                       // (32 − 2) × 4
        Assert.Equal(126976, host["usable"]!["memoryMiB"]!.GetValue<int>());                // (131072 − 4096) × 1
        Assert.Equal(1.0, host["allocationRatios"]!["memory"]!.GetValue<double>());
        Assert.Equal(["aes", "avx2"], host["cpuFeatures"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal(0, host["instanceCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task DisabledHost_TakesNoNewInstances_AndNoValidHostSaysWhy()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var admin = api.Admin();
        (await admin.PatchAsJsonAsync($"/v1/hosts/{cloud.HostIds[0]}", new { state = "disabled" })).EnsureSuccessStatusCode();

        var response = await api.Client(cloud.TenantKey).PostAsJsonAsync("/v1/instances", cloud.CreateBody());
        var problem = await response.ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        var last = problem["eliminations"]!.AsArray()[^1]!;
        Assert.Equal(("host-state", 1, 0), (last.Str("filter"), last["before"]!.GetValue<int>(), last["after"]!.GetValue<int>()));
        Assert.Null(last["eliminatedHostIds"]);                                          // tenants do not learn host ids

        var asAdmin = await admin.PostAsJsonAsync("/v1/instances", new
        {
            name = "vm", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = cloud.ZoneId, tenantId = cloud.TenantId,
        });
        var adminProblem = await asAdmin.ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        Assert.Equal(cloud.HostIds[0], adminProblem["eliminations"]!.AsArray()[^1]!["eliminatedHostIds"]![0]!.GetValue<Guid>());

        (await admin.PatchAsJsonAsync($"/v1/hosts/{cloud.HostIds[0]}", new { state = "enabled" })).EnsureSuccessStatusCode();
        var tenant = api.Client(cloud.TenantKey);
        await tenant.WaitForStatusAsync((await tenant.CreateInstanceAsync(cloud)).Id(), "running");
    }

    [Fact]
    public async Task NoValidHost_NamesTheFilter_ThatRanOutOfHosts()
    {
        var cloud = await api.SeedAsync(hosts: 3, hostVcpus: 64, hostMemoryMiB: 2048, flavorMemoryMiB: 4096);
        var problem = await (await api.Client(cloud.TenantKey).PostAsJsonAsync("/v1/instances", cloud.CreateBody()))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        var steps = problem["eliminations"]!.AsArray();
        Assert.Equal(["zone", "host-state", "hypervisor", "vcpus", "memory"], steps.Select(s => s!.Str("filter")));
        Assert.Equal((3, 0), (steps[^1]!["before"]!.GetValue<int>(), steps[^1]!["after"]!.GetValue<int>()));
        Assert.Contains("memory", problem.Str("detail"));
    }

    [Fact]
    public async Task AllocationRatio_LetsAHostBeOvercommitted()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 4, hostMemoryMiB: 65536, flavorVcpus: 2, flavorMemoryMiB: 1024, cpuRatio: 2.0);
        var tenant = api.Client(cloud.TenantKey);
        for (var i = 0; i < 4; i++) await tenant.CreateInstanceAsync(cloud);                 // 8 vCPUs on 4 × 2.0
        await (await tenant.PostAsJsonAsync("/v1/instances", cloud.CreateBody())).ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
    }

    [Fact]
    public async Task SpreadAndPack_PlaceOnTheEmptiestOrFullestHost()
    {
        var spread = await api.SeedAsync(hosts: 2, hostMemoryMiB: 16384, flavorMemoryMiB: 2048, strategy: "spread");
        var admin = api.Admin();
        var tenant = api.Client(spread.TenantKey);
        var placed = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            var id = (await tenant.CreateInstanceAsync(spread)).Id();
            placed.Add((await admin.GetJson($"/v1/instances/{id}"))["hostId"]!.GetValue<Guid>());
        }
        Assert.Equal(2, placed.Count(h => h == spread.HostIds[0]));                      // alternating: balanced
        Assert.Equal(2, placed.Count(h => h == spread.HostIds[1]));

        var pack = await api.SeedAsync(hosts: 2, hostMemoryMiB: 16384, flavorMemoryMiB: 2048, strategy: "pack");
        tenant = api.Client(pack.TenantKey);
        placed.Clear();
        for (var i = 0; i < 4; i++)
        {
            var id = (await tenant.CreateInstanceAsync(pack)).Id();
            placed.Add((await admin.GetJson($"/v1/instances/{id}"))["hostId"]!.GetValue<Guid>());
        }
        Assert.Single(placed.Distinct());                                                  // all on one host: the other can power off
    }

    [Fact]
    public async Task Names_AreUniquePerCloud_ForCatalogEntries()
    {
        var admin = api.Admin();
        var name = TestCloud.Unique("flavor");
        await admin.PostOk("/v1/flavors", new { name, vcpus = 1, memoryMiB = 512, diskGiB = 1 });
        var dup = await admin.PostAsJsonAsync("/v1/flavors", new { name, vcpus = 2, memoryMiB = 512, diskGiB = 1 });
        await dup.ExpectProblemAsync(HttpStatusCode.Conflict, "conflict");

        var other = await admin.PostOk("/v1/flavors", new { name = TestCloud.Unique("flavor"), vcpus = 1, memoryMiB = 512, diskGiB = 1 });
        await (await admin.PatchAsJsonAsync($"/v1/flavors/{other.Id()}", new { name })).ExpectProblemAsync(HttpStatusCode.Conflict, "conflict");
    }

    [Fact]
    public async Task InstanceNames_AreLabels_AndMayRepeat()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        await tenant.CreateInstanceAsync(cloud, "same");
        await tenant.CreateInstanceAsync(cloud, "same");
        Assert.Equal(2, (await tenant.GetJson("/v1/instances?name=same"))["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task Deletes_Return409_WhileInUse_AndSucceedOnceFree()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");

        foreach (var path in new[]
                 {
                     $"/v1/flavors/{cloud.FlavorId}", $"/v1/images/{cloud.ImageId}", $"/v1/sla-plans/{cloud.PlanId}",
                     $"/v1/hosts/{cloud.HostIds[0]}", $"/v1/zones/{cloud.ZoneId}", $"/v1/regions/{cloud.RegionId}",
                 })
        {
            var problem = await (await admin.DeleteAsync(path)).ExpectProblemAsync(HttpStatusCode.Conflict, "conflict");
            Assert.Contains("in use", problem.Str("detail"));
            (await admin.GetAsync(path)).EnsureSuccessStatusCode();                          // nothing cascaded
        }
        await (await admin.PatchAsJsonAsync($"/v1/flavors/{cloud.FlavorId}", new { memoryMiB = 8192 })).ExpectProblemAsync(HttpStatusCode.Conflict, "conflict");

        (await tenant.DeleteAsync($"/v1/instances/{id}")).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(id, "deleted");

        foreach (var path in new[]
                 {
                     $"/v1/flavors/{cloud.FlavorId}", $"/v1/images/{cloud.ImageId}", $"/v1/sla-plans/{cloud.PlanId}",
                     $"/v1/hosts/{cloud.HostIds[0]}", $"/v1/zones/{cloud.ZoneId}", $"/v1/regions/{cloud.RegionId}",
                 })
        {
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync(path)).StatusCode);
            await (await admin.GetAsync(path)).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        }
        var history = await tenant.GetJson($"/v1/instances/{id}");                          // history survives, references cleared
        Assert.Equal("deleted", history.Str("status"));
        Assert.Null(history["flavorId"]);
    }

    [Fact]
    public async Task SlaPlan_CanBePatched_AndDefaultsAreApplied()
    {
        var admin = api.Admin();
        var plan = await admin.PostOk("/v1/sla-plans", new { name = TestCloud.Unique("plan") });
        Assert.Equal(["immediate"], plan["schemes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal("spread", plan.Str("placementStrategy"));

        var patched = await (await admin.PatchAsJsonAsync($"/v1/sla-plans/{plan.Id()}",
            new { placementStrategy = "pack", schemes = new[] { "immediate", "best-effort", "reservation" }, preemptible = true }))
            .ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("pack", patched.Str("placementStrategy"));
        Assert.Equal(["immediate", "best-effort", "reservation"], patched["schemes"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.True(patched["preemptible"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Plan_WithoutImmediateScheme_RefusesImmediate_AndDefaultsToWhatItOffers()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var admin = api.Admin();
        var plan = await admin.PostOk("/v1/sla-plans", new { name = TestCloud.Unique("plan"), schemes = new[] { "best-effort" } });
        var tenant = api.Client(cloud.TenantKey);
        var response = await tenant.PostAsJsonAsync("/v1/instances",
            new { name = "vm", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = plan.Id(), scheme = "immediate" });
        var problem = await response.ExpectProblemAsync(HttpStatusCode.Conflict, "scheme-not-allowed");
        Assert.Equal(["best-effort"], problem["offered"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(0, (await tenant.GetJson("/v1/me"))["usage"]!["instances"]!.GetValue<int>());

        var created = await (await tenant.PostAsJsonAsync("/v1/instances", new { name = "vm", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = plan.Id() }))
            .ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal("best-effort", created["scheme"]!.GetValue<string>());
    }

    [Fact]
    public async Task TenantQuotas_ArePatchable_AndEnforced()
    {
        var cloud = await api.SeedAsync(hosts: 1, flavorVcpus: 2, quotas: new { instances = 10, vcpus = 4, memoryMiB = -1 });
        var tenant = api.Client(cloud.TenantKey);
        await tenant.CreateInstanceAsync(cloud);
        await tenant.CreateInstanceAsync(cloud);
        var problem = await (await tenant.PostAsJsonAsync("/v1/instances", cloud.CreateBody())).ExpectProblemAsync(HttpStatusCode.Conflict, "quota-exceeded");
        Assert.Equal(["vcpus"], problem["exceeded"]!.AsArray().Select(e => e!.GetValue<string>()));

        (await api.Admin().PatchAsJsonAsync($"/v1/tenants/{cloud.TenantId}", new { quotas = new { vcpus = 6 } })).EnsureSuccessStatusCode();
        await tenant.CreateInstanceAsync(cloud);
        var me = await tenant.GetJson("/v1/me");
        Assert.Equal((6, 10, 3), (me["quotas"]!["vcpus"]!.GetValue<int>(), me["quotas"]!["instances"]!.GetValue<int>(), me["usage"]!["instances"]!.GetValue<int>()));
    }

    [Fact]
    public async Task UnlimitedQuota_StillRefuses_AUsageThatWouldOverflowItsCounter()
    {
        var cloud = await api.SeedAsync(hosts: 1, flavorMemoryMiB: 4096);
        await api.WithDbAsync(db => db.Tenants.Where(t => t.Id == cloud.TenantId)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Usage.MemoryMiB, int.MaxValue - 100)));

        var response = await api.Client(cloud.TenantKey).PostAsJsonAsync("/v1/instances", cloud.CreateBody());

        var problem = await response.ExpectProblemAsync(HttpStatusCode.Conflict, "quota-exceeded");   // not a 500 from the database
        Assert.Contains("memoryMiB", problem.Str("detail"));
    }

    [Fact]
    public async Task HostState_CannotBePatchedToMaintenance()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var response = await api.Admin().PatchAsJsonAsync($"/v1/hosts/{cloud.HostIds[0]}", new { state = "maintenance" });
        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task HostReserved_CannotExceedCapacity()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 8);
        var response = await api.Admin().PatchAsJsonAsync($"/v1/hosts/{cloud.HostIds[0]}", new { reserved = new { vcpus = 9 } });
        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem["errors"]!["reserved"]);
    }
}
