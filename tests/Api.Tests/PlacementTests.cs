using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>The placement engine through the REST API: requirements, server groups, refusals and the preview.</summary>
public sealed class PlacementTests(ApiFactory api)
{
    [Fact]
    public async Task FlavorAndImageRequirements_SteerPlacement_ByTraitsAndCpuFeatures()
    {
        var admin = api.Admin();
        var cloud = await api.SeedAsync(hosts: 0);
        var plain = await AddHostAsync(cloud, traits: ["hdd"], cpuFeatures: ["sse4_2"]);
        var fast = await AddHostAsync(cloud, traits: ["ssd"], cpuFeatures: ["sse4_2", "avx2", "aes"]);
        var flavor = await admin.PostOk("/v1/flavors", new
        {
            name = TestCloud.Unique("flavor"), vcpus = 1, memoryMiB = 1024, diskGiB = 10, requiredTraits = new[] { "ssd" },
        });
        var image = await admin.PostOk("/v1/images", new
        {
            name = TestCloud.Unique("image"), os = "linux", format = "qcow2", minDiskGiB = 1, requiredCpuFeatures = new[] { "avx2" },
            forbiddenTraits = new[] { "gpu" },
        });
        Assert.Equal(["avx2"], image["requiredCpuFeatures"]!.AsArray().Select(f => f!.GetValue<string>()));

        var created = await admin.PostAsJsonAsync("/v1/instances", new
        {
            name = "vm", flavorId = flavor.Id(), imageId = image.Id(), slaPlanId = cloud.PlanId, zoneId = cloud.ZoneId, tenantId = cloud.TenantId,
        });
        Assert.Equal(fast, (await created.ExpectAsync(HttpStatusCode.Accepted))["hostId"]!.GetValue<Guid>());

        // Take the avx2 host's trait away: now no host qualifies, and the refusal says which filter and, to admins, why.
        (await admin.PatchAsJsonAsync($"/v1/hosts/{fast}", new { traits = new[] { "ssd", "gpu" } })).EnsureSuccessStatusCode();
        var refused = await admin.PostAsJsonAsync("/v1/instances", new
        {
            name = "vm2", flavorId = flavor.Id(), imageId = image.Id(), slaPlanId = cloud.PlanId, zoneId = cloud.ZoneId, tenantId = cloud.TenantId,
        });
        var problem = await refused.ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        var steps = problem["eliminations"]!.AsArray();
        var cpu = steps.Single(s => s!.Str("filter") == "cpu-features")!;
        Assert.Equal("CPU lacks avx2", cpu["eliminatedHosts"]![0]!.Str("reason"));
        Assert.Equal(plain, cpu["eliminatedHosts"]![0]!["hostId"]!.GetValue<Guid>());
        var traits = steps.Single(s => s!.Str("filter") == "traits")!;
        Assert.Equal("has forbidden trait gpu", traits["eliminatedHosts"]![0]!.Str("reason"));
    }

    [Fact]
    public async Task SlaPlanCapabilities_KeepInstancesOffHostsWhoseDriverCannot()
    {
        var admin = api.Admin();
        var cloud = await api.SeedAsync(hosts: 1);
        var qemuHost = await AddHostAsync(cloud, hypervisor: "qemu");                       // no qemu driver in this build
        var gold = await admin.PostOk("/v1/sla-plans", new { name = TestCloud.Unique("gold"), requiredCapabilities = new[] { "live-migration" } });
        var tenant = api.Client(cloud.TenantKey);

        var created = await tenant.PostAsJsonAsync("/v1/instances", new
        {
            name = "vm", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = gold.Id(), zoneId = cloud.ZoneId,
        });
        var id = (await created.ExpectAsync(HttpStatusCode.Accepted)).Id();
        Assert.Equal(cloud.HostIds[0], (await admin.GetJson($"/v1/instances/{id}"))["hostId"]!.GetValue<Guid>());

        (await admin.PatchAsJsonAsync($"/v1/hosts/{cloud.HostIds[0]}", new { state = "disabled" })).EnsureSuccessStatusCode();
        var refused = await admin.PostAsJsonAsync("/v1/instances", new
        {
            name = "vm", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = gold.Id(), zoneId = cloud.ZoneId, tenantId = cloud.TenantId,
        });
        var problem = await refused.ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        var hypervisor = problem["eliminations"]!.AsArray().Single(s => s!.Str("filter") == "hypervisor")!;
        Assert.Equal(qemuHost, hypervisor["eliminatedHostIds"]![0]!.GetValue<Guid>());
        Assert.Equal("no 'qemu' driver is available", hypervisor["eliminatedHosts"]![0]!.Str("reason"));
    }

    [Fact]
    public async Task AffinityGroup_PutsEveryMemberOnTheFirstMembersHost()
    {
        var cloud = await api.SeedAsync(hosts: 3, hostMemoryMiB: 65536, flavorMemoryMiB: 1024);
        var tenant = api.Client(cloud.TenantKey);
        var group = await tenant.PostOk("/v1/server-groups", new { name = "db", policy = "affinity" });

        var hosts = new List<Guid>();
        for (var i = 0; i < 4; i++) hosts.Add(await HostOfNewMemberAsync(tenant, cloud, group.Id()));

        Assert.Single(hosts.Distinct());
        var members = (await tenant.GetJson($"/v1/server-groups/{group.Id()}"))["members"]!.AsArray();
        Assert.Equal(4, members.Count);
    }

    [Fact]
    public async Task AntiAffinityGroup_SpreadsMembers_AndRefusesWhenEveryHostHasOne()
    {
        var cloud = await api.SeedAsync(hosts: 3, strategy: "pack");                         // pack would stack them otherwise
        var tenant = api.Client(cloud.TenantKey);
        var group = await tenant.PostOk("/v1/server-groups", new { name = "web", policy = "anti-affinity" });

        var hosts = new List<Guid>();
        for (var i = 0; i < 3; i++) hosts.Add(await HostOfNewMemberAsync(tenant, cloud, group.Id()));
        Assert.Equal(3, hosts.Distinct().Count());

        var fourth = await tenant.PostAsJsonAsync("/v1/instances", MemberBody(cloud, group.Id()));
        var problem = await fourth.ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        Assert.Equal("anti-affinity", problem["eliminations"]!.AsArray()[^1]!.Str("filter"));
    }

    [Fact]
    public async Task AntiAffinityGroup_AllowsMaxPerHost()
    {
        var cloud = await api.SeedAsync(hosts: 2);
        var tenant = api.Client(cloud.TenantKey);
        var group = await tenant.PostOk("/v1/server-groups", new { name = "cache", policy = "anti-affinity", maxPerHost = 2 });
        var hosts = new List<Guid>();
        for (var i = 0; i < 4; i++) hosts.Add(await HostOfNewMemberAsync(tenant, cloud, group.Id()));
        Assert.All(hosts.GroupBy(h => h), g => Assert.Equal(2, g.Count()));
        await (await tenant.PostAsJsonAsync("/v1/instances", MemberBody(cloud, group.Id()))).ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
    }

    [Fact]
    public async Task ParallelCreates_InAnAntiAffinityGroup_NeverShareAHost()
    {
        for (var round = 0; round < 5; round++)
        {
            var cloud = await api.SeedAsync(hosts: 6, strategy: "pack");
            var tenant = api.Client(cloud.TenantKey);
            var group = await tenant.PostOk("/v1/server-groups", new { name = "ha", policy = "anti-affinity" });

            var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => tenant.PostAsJsonAsync("/v1/instances", MemberBody(cloud, group.Id()))));

            Assert.Equal(6, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
            Assert.Equal(2, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
            var placed = new List<Guid>();
            foreach (var r in responses.Where(r => r.StatusCode == HttpStatusCode.Accepted))
            {
                var id = (await r.ExpectAsync(HttpStatusCode.Accepted)).Id();
                placed.Add((await api.Admin().GetJson($"/v1/instances/{id}"))["hostId"]!.GetValue<Guid>());
            }
            Assert.Equal(placed.Count, placed.Distinct().Count());
        }
    }

    [Fact]
    public async Task SoftAntiAffinity_SpreadsWhenItCan_AndSharesWhenItMust()
    {
        var cloud = await api.SeedAsync(hosts: 2, strategy: "pack");
        var tenant = api.Client(cloud.TenantKey);
        var group = await tenant.PostOk("/v1/server-groups", new { name = "soft", policy = "soft-anti-affinity" });
        var hosts = new List<Guid>();
        for (var i = 0; i < 3; i++) hosts.Add(await HostOfNewMemberAsync(tenant, cloud, group.Id()));
        Assert.Equal(2, hosts.Take(2).Distinct().Count());                                  // apart while hosts remain
        Assert.Equal(3, hosts.Count);                                                      // and still placed when none do
    }

    [Fact]
    public async Task BatchCreate_InAnAntiAffinityGroup_PlacesMembersApart_AllOrNothing()
    {
        var cloud = await api.SeedAsync(hosts: 3, strategy: "pack");
        var tenant = api.Client(cloud.TenantKey);
        var group = await tenant.PostOk("/v1/server-groups", new { name = "batch", policy = "anti-affinity" });

        await (await tenant.PostAsJsonAsync("/v1/instances", MemberBody(cloud, group.Id(), count: 4)))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");                   // 4 members, 3 hosts: none created
        Assert.Empty((await tenant.GetJson($"/v1/server-groups/{group.Id()}"))["members"]!.AsArray());

        var batch = await (await tenant.PostAsJsonAsync("/v1/instances", MemberBody(cloud, group.Id(), count: 3))).ExpectAsync(HttpStatusCode.Accepted);
        var hosts = new List<Guid>();
        foreach (var item in batch["items"]!.AsArray())
            hosts.Add((await api.Admin().GetJson($"/v1/instances/{item!.Id()}"))["hostId"]!.GetValue<Guid>());
        Assert.Equal(3, hosts.Distinct().Count());
    }

    [Fact]
    public async Task ServerGroups_AreTenantScoped_AndCannotBeDeletedWithMembers()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var (_, otherKey) = await api.NewTenantAsync();
        var other = api.Client(otherKey);
        var group = await tenant.PostOk("/v1/server-groups", new { name = "mine", policy = "affinity" });

        await (await other.GetAsync($"/v1/server-groups/{group.Id()}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Empty((await other.GetJson("/v1/server-groups"))["items"]!.AsArray());
        await (await other.PostAsJsonAsync("/v1/instances", MemberBody(cloud, group.Id()))).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");

        var member = (await (await tenant.PostAsJsonAsync("/v1/instances", MemberBody(cloud, group.Id()))).ExpectAsync(HttpStatusCode.Accepted)).Id();
        await (await tenant.DeleteAsync($"/v1/server-groups/{group.Id()}")).ExpectProblemAsync(HttpStatusCode.Conflict, "conflict");
        (await tenant.DeleteAsync($"/v1/instances/{member}")).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(member, "deleted");
        Assert.Equal(HttpStatusCode.NoContent, (await tenant.DeleteAsync($"/v1/server-groups/{group.Id()}")).StatusCode);

        await (await tenant.PostAsJsonAsync("/v1/server-groups", new { name = "x", policy = "affinity", maxPerHost = 2 }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");                   // maxPerHost is for anti-affinity
    }

    [Fact]
    public async Task Preview_RanksHostsWithEveryWeigher_AndEqualsWhatACreatePicks()
    {
        var cloud = await api.SeedAsync(hosts: 4, hostMemoryMiB: 32768, flavorMemoryMiB: 2048);
        var admin = api.Admin();
        var tenant = api.Client(cloud.TenantKey);
        await tenant.CreateInstanceAsync(cloud);                                             // make the hosts differ
        await tenant.CreateInstanceAsync(cloud);

        var preview = await (await admin.PostAsJsonAsync("/v1/placement/preview", new
        {
            flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = cloud.ZoneId, count = 3,
        })).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(("spread", 4), (preview.Str("profile"), preview["candidates"]!.GetValue<int>()));
        var ranked = preview["ranked"]!.AsArray();
        Assert.Equal(4, ranked.Count);
        var best = ranked[0]!;
        var weights = best["weights"]!.AsArray();
        Assert.Contains(weights, w => w!.Str("weigher") == "free-memory");
        Assert.Equal(weights.Sum(w => w!["contribution"]!.GetValue<double>()), best["score"]!.GetValue<double>(), 6);
        Assert.Equal(3, preview["picks"]!.AsArray().Count);
        Assert.Equal(0, (await admin.GetJson($"/v1/hosts/{best["hostId"]}"))["instanceCount"]!.GetValue<int>());   // nothing claimed

        var created = await admin.PostAsJsonAsync("/v1/instances", new
        {
            name = "vm", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = cloud.ZoneId, tenantId = cloud.TenantId,
        });
        Assert.Equal(best["hostId"]!.GetValue<Guid>(), (await created.ExpectAsync(HttpStatusCode.Accepted))["hostId"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task Preview_ExplainsEveryElimination_WhenNothingFits()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostMemoryMiB: 2048, flavorMemoryMiB: 4096);
        var preview = await (await api.Admin().PostAsJsonAsync("/v1/placement/preview", new
        {
            flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = cloud.ZoneId,
        })).ExpectAsync(HttpStatusCode.OK);
        Assert.Empty(preview["ranked"]!.AsArray());
        var memory = preview["eliminations"]!.AsArray()[^1]!;
        Assert.Equal(("memory", 2, 0), (memory.Str("filter"), memory["before"]!.GetValue<int>(), memory["after"]!.GetValue<int>()));
        Assert.All(memory["eliminatedHosts"]!.AsArray(), h => Assert.Equal("needs 4096 MiB, 2048 free", h!.Str("reason")));
    }

    private async Task<Guid> HostOfNewMemberAsync(HttpClient tenant, Cloud cloud, Guid groupId)
    {
        var created = await (await tenant.PostAsJsonAsync("/v1/instances", MemberBody(cloud, groupId))).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(groupId, created["serverGroupId"]!.GetValue<Guid>());
        return (await api.Admin().GetJson($"/v1/instances/{created.Id()}"))["hostId"]!.GetValue<Guid>();
    }

    private static object MemberBody(Cloud c, Guid groupId, int? count = null) => new
    {
        name = TestCloud.Unique("m"), flavorId = c.FlavorId, imageId = c.ImageId, slaPlanId = c.PlanId, zoneId = c.ZoneId, serverGroupId = groupId, count,
    };

    private async Task<Guid> AddHostAsync(Cloud cloud, string hypervisor = "fake", string[]? traits = null, string[]? cpuFeatures = null)
    {
        var host = await api.Admin().PostOk("/v1/hosts", new
        {
            name = TestCloud.Unique("host"), zoneId = cloud.ZoneId, hypervisor,
            capacity = new { vcpus = 16, memoryMiB = 32768, diskGiB = 1000, networkMbps = 10000 }, traits, cpuFeatures,
        });
        return host.Id();
    }
}
