using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>ETag / If-Match (optimistic concurrency) and cursor pagination.</summary>
public sealed class ConcurrencyAndPagingTests(ApiFactory api)
{
    [Fact]
    public async Task Get_ReturnsAnETag_ThatChangesOnEveryUpdate()
    {
        var admin = api.Admin();
        var created = await admin.PostAsJsonAsync("/v1/flavors", new { name = TestCloud.Unique("flavor"), vcpus = 1, memoryMiB = 512, diskGiB = 1 });
        var id = (await created.ExpectAsync(HttpStatusCode.Created)).Id();
        var etag1 = (await admin.GetAsync($"/v1/flavors/{id}")).Headers.ETag!;
        Assert.Equal(created.Headers.ETag, etag1);

        var patched = await admin.PatchAsJsonAsync($"/v1/flavors/{id}", new { vcpus = 2 });
        await patched.ExpectAsync(HttpStatusCode.OK);
        var etag2 = (await admin.GetAsync($"/v1/flavors/{id}")).Headers.ETag!;

        Assert.NotEqual(etag1, etag2);
        Assert.Equal(patched.Headers.ETag, etag2);
    }

    [Fact]
    public async Task Patch_Returns412_WhenIfMatchIsStale_AndChangesNothing()
    {
        var admin = api.Admin();
        var id = (await admin.PostOk("/v1/flavors", new { name = TestCloud.Unique("flavor"), vcpus = 1, memoryMiB = 512, diskGiB = 1 })).Id();
        var stale = (await admin.GetAsync($"/v1/flavors/{id}")).Headers.ETag!.Tag;
        (await admin.PatchAsJsonAsync($"/v1/flavors/{id}", new { vcpus = 2 })).EnsureSuccessStatusCode();

        var request = new HttpRequestMessage(HttpMethod.Patch, $"/v1/flavors/{id}") { Content = JsonContent.Create(new { vcpus = 8 }) };
        request.Headers.IfMatch.ParseAdd(stale);
        await (await admin.SendAsync(request)).ExpectProblemAsync(HttpStatusCode.PreconditionFailed, "precondition-failed");

        Assert.Equal(2, (await admin.GetJson($"/v1/flavors/{id}"))["vcpus"]!.GetValue<int>());
    }

    [Fact]
    public async Task Patch_Succeeds_WhenIfMatchIsCurrent_AndAcceptsMergePatchJson()
    {
        var admin = api.Admin();
        var id = (await admin.PostOk("/v1/images", new { name = TestCloud.Unique("image"), os = "debian", format = "raw", minDiskGiB = 1 })).Id();
        var etag = (await admin.GetAsync($"/v1/images/{id}")).Headers.ETag!.Tag;

        var request = new HttpRequestMessage(HttpMethod.Patch, $"/v1/images/{id}")
        {
            Content = new StringContent("""{"minDiskGiB": 5}""", System.Text.Encoding.UTF8, "application/merge-patch+json"),
        };
        request.Headers.IfMatch.ParseAdd(etag);
        var patched = await (await admin.SendAsync(request)).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(5, patched["minDiskGiB"]!.GetValue<int>());
        Assert.Equal("debian", patched.Str("os"));                                         // absent fields unchanged
    }

    [Fact]
    public async Task Delete_Returns412_WhenIfMatchIsStale()
    {
        var admin = api.Admin();
        var id = (await admin.PostOk("/v1/regions", new { name = TestCloud.Unique("region") })).Id();
        var request = new HttpRequestMessage(HttpMethod.Delete, $"/v1/regions/{id}");
        request.Headers.IfMatch.ParseAdd("\"999\"");
        await (await admin.SendAsync(request)).ExpectProblemAsync(HttpStatusCode.PreconditionFailed, "precondition-failed");
        (await admin.GetAsync($"/v1/regions/{id}")).EnsureSuccessStatusCode();

        var current = new HttpRequestMessage(HttpMethod.Delete, $"/v1/regions/{id}");
        current.Headers.IfMatch.ParseAdd((await admin.GetAsync($"/v1/regions/{id}")).Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.SendAsync(current)).StatusCode);
    }

    [Fact]
    public async Task InstanceDelete_HonoursIfMatch()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");
        var request = new HttpRequestMessage(HttpMethod.Delete, $"/v1/instances/{id}");
        request.Headers.IfMatch.ParseAdd("\"1\"");                                          // it has moved on since creation
        await (await tenant.SendAsync(request)).ExpectProblemAsync(HttpStatusCode.PreconditionFailed, "precondition-failed");
        Assert.Equal("running", (await tenant.GetJson($"/v1/instances/{id}")).Str("status"));
    }

    [Fact]
    public async Task List_PagesByCursor_CompletelyAndWithoutDuplicates()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 64);
        var tenant = api.Client(cloud.TenantKey);
        var created = new List<Guid>();
        for (var i = 0; i < 7; i++) created.Add((await tenant.CreateInstanceAsync(cloud, $"page-{i}")).Id());

        var seen = new List<Guid>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await tenant.GetJson($"/v1/instances?limit=3{(token is null ? "" : $"&pageToken={token}")}");
            seen.AddRange(page["items"]!.AsArray().Select(i => i!.Id()));
            token = page["nextPageToken"]?.GetValue<string>();
            pages++;
        } while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(created, seen);                                                        // creation order, each once
    }

    [Fact]
    public async Task PageToken_Returns400_WhenUsedOnAnotherCollectionOrWithOtherFiltersOrOrder()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 64);
        var tenant = api.Client(cloud.TenantKey);
        for (var i = 0; i < 3; i++) await tenant.CreateInstanceAsync(cloud, $"token-{i}");
        var z = cloud.ZoneId;
        var token = (await tenant.GetJson($"/v1/instances?zoneId={z}&limit=1"))["nextPageToken"]!.GetValue<string>();

        // The same query goes on, whatever the page size and however the parameters are spelled and ordered.
        Assert.Equal(2, (await tenant.GetJson($"/v1/instances?limit=2&pageToken={token}&zoneid={z}&order=asc"))["items"]!.AsArray().Count);

        foreach (var (client, query) in new[]
                 {
                     (tenant, $"instances?pageToken={token}"),
                     (tenant, $"instances?zoneId={z}&status=running&pageToken={token}"),
                     (tenant, $"instances?zoneId={z}&order=desc&pageToken={token}"),
                     (tenant, $"instances?zoneId={Guid.CreateVersion7()}&pageToken={token}"),
                     (tenant, $"operations?pageToken={token}"),
                     (api.Admin(), $"hosts?zoneId={z}&pageToken={token}"),
                 })
        {
            var problem = await (await client.GetAsync($"/v1/{query}")).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
            Assert.Contains("pageToken does not belong to this query", problem["errors"]!["pageToken"]![0]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData("instances?limit=0")]
    [InlineData("instances?limit=501")]
    [InlineData("instances?limit=abc")]
    [InlineData("instances?pageToken=not-a-token")]
    [InlineData("instances?pageToken=AAAA")]
    [InlineData("instances?status=sleeping")]
    [InlineData("images?visibility=shared")]
    [InlineData("images?sourceInstanceId=not-a-guid")]
    [InlineData("instances?order=sideways")]
    [InlineData("instances?slaPlanId=not-a-guid")]
    [InlineData("queue?limit=0")]
    [InlineData("queue?limit=501")]
    [InlineData("queue?zoneId=not-a-guid")]
    public async Task List_Returns400_ForBadPagingOrFilterParameters(string query)
    {
        var (_, key) = await api.NewTenantAsync();
        var response = await api.Client(key).GetAsync($"/v1/{query}");
        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem["errors"]);
    }

    [Theory]
    [InlineData("hosts?traits=gpu", "traits", "trait")]
    [InlineData("hosts?zone=x", "zone", "zoneId")]
    [InlineData("instances?statuss=running", "statuss", "status")]
    [InlineData("flavors?vcpus=2", "vcpus", "family")]
    [InlineData("regions?limit=5&sort=name", "sort", "pageToken")]
    [InlineData("overview?zoneId=x", "zoneId", "it takes none")]
    public async Task Get_Returns400NamingTheParameterAndTheAcceptedOnes_ForAnUnknownQueryParameter(string query, string unknown, string accepted)
    {
        var response = await api.Admin().GetAsync($"/v1/{query}");
        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        var message = problem["errors"]?[unknown]?[0]?.GetValue<string>();
        Assert.True(message is not null, problem.ToJsonString());
        Assert.Contains(accepted, message);
    }

    [Fact]
    public async Task HostList_FiltersByRegionAndTrait()
    {
        var admin = api.Admin();
        var cloud = await api.SeedAsync(hosts: 2);
        var other = await api.SeedAsync(hosts: 1);
        (await admin.PatchAsJsonAsync($"/v1/hosts/{cloud.HostIds[1]}", new { traits = new[] { "gpu", "ssd" } })).EnsureSuccessStatusCode();

        var inRegion = await admin.GetJson($"/v1/hosts?regionId={cloud.RegionId}&limit=500");
        Assert.Equal(cloud.HostIds.Order(), inRegion["items"]!.AsArray().Select(h => h!.Id()).Order());
        var gpu = await admin.GetJson($"/v1/hosts?regionId={cloud.RegionId}&trait=gpu");
        Assert.Equal([cloud.HostIds[1]], gpu["items"]!.AsArray().Select(h => h!.Id()));
        Assert.Empty((await admin.GetJson($"/v1/hosts?regionId={other.RegionId}&trait=gpu"))["items"]!.AsArray());
    }

    /// <summary>Every query parameter the docs and the dashboard use is still taken by its route.</summary>
    [Fact]
    public async Task Lists_AcceptEveryDocumentedParameter()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var vm = (await tenant.CreateInstanceAsync(cloud)).Id();
        var (z, r, t, h, f, p, any) = (cloud.ZoneId, cloud.RegionId, cloud.TenantId, cloud.HostIds[0], cloud.FlavorId, cloud.PlanId, Guid.CreateVersion7());
        var now = api.Clock.GetUtcNow();                                     // the control plane's clock: earlier tests move it
        var since = Uri.EscapeDataString(now.AddHours(-1).ToString("O"));
        var to = Uri.EscapeDataString(now.AddHours(2).ToString("O"));
        foreach (var query in new[]
                 {
                     $"instances?status=running&zoneId={z}&hostId={h}&tenantId={t}&flavorId={f}&name=x&reservationId={any}&scheme=immediate&slaPlanId={p}&order=desc&limit=5",
                     $"hosts?zoneId={z}&regionId={r}&state=enabled&hypervisor=fake&name=x&trait=gpu&limit=500",
                     "flavors?name=x&family=general&limit=500", $"images?name=x&os=debian&visibility=public&sourceInstanceId={vm}",
                     "sla-plans?name=x&limit=500", $"zones?regionId={r}&name=x&limit=500", "regions?name=x", "tenants?name=x&limit=500",
                     $"server-groups?tenantId={t}", $"reservations?tenantId={t}&status=active&zoneId={z}&limit=500",
                     $"migrations?instanceId={vm}&hostId={h}&status=running&order=desc&limit=100",
                     $"operations?resourceId={vm}&status=running&kind=instance.create&limit=100", $"snapshots?instanceId={vm}&tenantId={t}&status=available&limit=100",
                     $"audit-events?tenantId={t}&resourceId={vm}&since={since}&keyId={any}&order=desc&limit=50", $"storage-pools?zoneId={z}&name=x",
                     $"queue?zoneId={z}&limit=200", $"capacity?zoneId={z}&to={to}&step=3600", $"instances/{vm}/actions?limit=10",
                     $"tenants/{t}/api-keys?limit=10", "admin-keys?limit=10", "overview", "me",
                 })
            await (await api.Admin().GetAsync($"/v1/{query}")).ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task List_DefaultsTo50_AndCapsAt500()
    {
        var admin = api.Admin();
        for (var i = 0; i < 3; i++) await admin.PostOk("/v1/regions", new { name = TestCloud.Unique("region") });
        var page = await admin.GetJson("/v1/regions?limit=500");
        Assert.InRange(page["items"]!.AsArray().Count, 3, 500);
    }
}
