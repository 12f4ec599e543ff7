using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>Bearer API keys, roles, and tenant isolation on every route.</summary>
public sealed class AuthTests(ApiFactory api)
{
    private static readonly Guid Any = Guid.Parse("01a00000-0000-7000-8000-000000000001");

    /// <summary>Every /v1 route, with a method. Ids are placeholders: auth is decided before the handler looks anything up.</summary>
    public static TheoryData<string, string> V1Routes() => new()
    {
        { "GET", "/v1/regions" }, { "POST", "/v1/regions" }, { "GET", $"/v1/regions/{Any}" }, { "PATCH", $"/v1/regions/{Any}" },
        { "DELETE", $"/v1/regions/{Any}" }, { "GET", "/v1/zones" }, { "POST", "/v1/zones" }, { "GET", "/v1/hosts" },
        { "POST", "/v1/hosts" }, { "PATCH", $"/v1/hosts/{Any}" }, { "GET", "/v1/flavors" }, { "POST", "/v1/flavors" },
        { "GET", "/v1/images" }, { "POST", "/v1/images" }, { "GET", "/v1/sla-plans" }, { "POST", "/v1/sla-plans" },
        { "GET", "/v1/tenants" }, { "POST", "/v1/tenants" }, { "GET", $"/v1/tenants/{Any}/api-keys" },
        { "POST", $"/v1/tenants/{Any}/api-keys" }, { "DELETE", $"/v1/tenants/{Any}/api-keys/{Any}" },
        { "GET", "/v1/admin-keys" }, { "POST", "/v1/admin-keys" }, { "GET", "/v1/me" }, { "GET", "/v1/instances" },
        { "POST", "/v1/instances" }, { "GET", $"/v1/instances/{Any}" }, { "DELETE", $"/v1/instances/{Any}" },
        { "POST", $"/v1/instances/{Any}/actions/stop" }, { "POST", $"/v1/instances/{Any}/actions/reset-state" },
        { "GET", $"/v1/instances/{Any}/actions" }, { "GET", $"/v1/operations/{Any}" }, { "GET", "/v1/operations" },
        { "GET", "/v1/audit-events" }, { "GET", "/v1/simulation/faults" }, { "GET", "/v1/reservations" }, { "POST", "/v1/reservations" },
        { "GET", $"/v1/reservations/{Any}" }, { "PATCH", $"/v1/reservations/{Any}" }, { "DELETE", $"/v1/reservations/{Any}" },
        { "GET", "/v1/capacity" }, { "POST", "/v1/migrations/preview" },
    };

    /// <summary>Routes a tenant key may not use at all (inventory, tenants, keys, audit, simulation, repairs, catalog writes).</summary>
    public static TheoryData<string, string> AdminOnlyRoutes() => new()
    {
        { "POST", "/v1/regions" }, { "PATCH", $"/v1/regions/{Any}" }, { "DELETE", $"/v1/regions/{Any}" }, { "POST", "/v1/zones" },
        { "DELETE", $"/v1/zones/{Any}" }, { "GET", "/v1/hosts" }, { "GET", $"/v1/hosts/{Any}" }, { "POST", "/v1/hosts" },
        { "PATCH", $"/v1/hosts/{Any}" }, { "DELETE", $"/v1/hosts/{Any}" }, { "POST", "/v1/flavors" }, { "PATCH", $"/v1/flavors/{Any}" },
        { "DELETE", $"/v1/flavors/{Any}" }, { "POST", "/v1/images" }, { "DELETE", $"/v1/images/{Any}" }, { "POST", "/v1/sla-plans" },
        { "PATCH", $"/v1/sla-plans/{Any}" }, { "DELETE", $"/v1/sla-plans/{Any}" }, { "GET", "/v1/tenants" }, { "POST", "/v1/tenants" },
        { "GET", $"/v1/tenants/{Any}" }, { "PATCH", $"/v1/tenants/{Any}" }, { "POST", $"/v1/tenants/{Any}/api-keys" },
        { "GET", $"/v1/tenants/{Any}/api-keys" }, { "GET", "/v1/admin-keys" }, { "POST", "/v1/admin-keys" },
        { "DELETE", $"/v1/admin-keys/{Any}" }, { "POST", $"/v1/instances/{Any}/actions/reset-state" }, { "GET", "/v1/audit-events" },
        { "POST", "/v1/migrations/preview" }, { "PUT", $"/v1/simulation/instances/{Any}/guest-memory" },
        { "POST", $"/v1/instances/{Any}/actions/migrate" }, { "GET", "/v1/migrations" }, { "GET", $"/v1/migrations/{Any}" },
        { "POST", $"/v1/migrations/{Any}/actions/cancel" }, { "POST", $"/v1/hosts/{Any}/actions/enter-maintenance" },
        { "POST", $"/v1/hosts/{Any}/actions/exit-maintenance" }, { "POST", "/v1/planners/consolidation" },
        { "POST", "/v1/simulation/faults" }, { "GET", "/v1/simulation/faults" },
    };

    [Theory]
    [MemberData(nameof(V1Routes))]
    public async Task Route_Returns401WithBearerChallenge_WhenNoKeyIsSent(string method, string path)
    {
        var response = await api.Client(null).SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) });
        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [MemberData(nameof(AdminOnlyRoutes))]
    public async Task AdminRoute_Returns403_ForATenantKey(string method, string path)
    {
        var (_, key) = await api.NewTenantAsync();
        var response = await api.Client(key).SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) });
        await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    [Theory]
    [InlineData("Bearer iaas_not-a-real-key")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    public async Task Request_Returns401_ForAnInvalidCredential(string header)
    {
        var client = api.Client(null);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);
        var response = await client.GetAsync("/v1/me");
        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task RevokedKey_Returns401_Immediately()
    {
        var admin = api.Admin();
        var tenant = await admin.PostOk("/v1/tenants", new { name = TestCloud.Unique("tenant") });
        var key = await admin.PostOk($"/v1/tenants/{tenant.Id()}/api-keys", new { name = "ci" });
        var client = api.Client(key.Str("key"));
        (await client.GetAsync("/v1/me")).EnsureSuccessStatusCode();

        (await admin.DeleteAsync($"/v1/tenants/{tenant.Id()}/api-keys/{key.Id()}")).EnsureSuccessStatusCode();

        await (await client.GetAsync("/v1/me")).ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        var keys = await admin.GetJson($"/v1/tenants/{tenant.Id()}/api-keys");
        var listed = Assert.Single(keys["items"]!.AsArray());
        Assert.True(listed!["revoked"]!.GetValue<bool>());
        Assert.Null(listed["key"]);                                                  // the secret is never listed
    }

    [Fact]
    public async Task TenantKey_SeesOnlyItsOwnInstances_AndOthersAre404()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var owner = api.Client(cloud.TenantKey);
        var (_, otherKey) = await api.NewTenantAsync();
        var other = api.Client(otherKey);
        var created = await owner.CreateInstanceAsync(cloud);
        var id = created.Id();
        await owner.WaitForStatusAsync(id, "running");

        await (await other.GetAsync($"/v1/instances/{id}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.DeleteAsync($"/v1/instances/{id}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.PostAsync($"/v1/instances/{id}/actions/stop", null)).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.GetAsync($"/v1/instances/{id}/actions")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.GetAsync($"/v1/operations/{created["operationId"]}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Empty((await other.GetJson("/v1/instances"))["items"]!.AsArray());
        Assert.Empty((await other.GetJson($"/v1/operations?resourceId={id}"))["items"]!.AsArray());
        Assert.Empty((await other.GetJson($"/v1/instances?tenantId={cloud.TenantId}"))["items"]!.AsArray());   // a filter is no way in

        Assert.Equal("running", (await owner.GetJson($"/v1/instances/{id}")).Str("status"));   // untouched by the attempts
        Assert.Single((await owner.GetJson("/v1/instances"))["items"]!.AsArray());
    }

    [Fact]
    public async Task TenantKey_ReadsTheCatalog_ButCannotChangeIt()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        Assert.Equal(cloud.FlavorId, (await tenant.GetJson($"/v1/flavors/{cloud.FlavorId}")).Id());
        Assert.Equal(cloud.ImageId, (await tenant.GetJson($"/v1/images/{cloud.ImageId}")).Id());
        Assert.Equal(cloud.PlanId, (await tenant.GetJson($"/v1/sla-plans/{cloud.PlanId}")).Id());
        Assert.Equal(cloud.ZoneId, (await tenant.GetJson($"/v1/zones/{cloud.ZoneId}")).Id());
        Assert.Equal(cloud.RegionId, (await tenant.GetJson($"/v1/regions/{cloud.RegionId}")).Id());
        await (await tenant.PatchAsJsonAsync($"/v1/flavors/{cloud.FlavorId}", new { vcpus = 64 })).ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(2, (await tenant.GetJson($"/v1/flavors/{cloud.FlavorId}"))["vcpus"]!.GetValue<int>());
    }

    [Fact]
    public async Task Me_DescribesTheCaller()
    {
        var cloud = await api.SeedAsync(hosts: 1, quotas: new { instances = 7, vcpus = 14, memoryMiB = 28672 });
        var me = await api.Client(cloud.TenantKey).GetJson("/v1/me");
        Assert.Equal(("tenant", cloud.TenantId), (me.Str("role"), me["tenantId"]!.GetValue<Guid>()));
        Assert.Equal(7, me["quotas"]!["instances"]!.GetValue<int>());
        Assert.Equal(0, me["usage"]!["instances"]!.GetValue<int>());

        var admin = await api.Admin().GetJson("/v1/me");
        Assert.Equal("admin", admin.Str("role"));
        Assert.Null(admin["tenantId"]);
    }

    [Fact]
    public async Task AdminCreate_RequiresATenant_AndActsOnItsBehalf()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var admin = api.Admin();
        var missing = await admin.PostAsJsonAsync("/v1/instances", cloud.CreateBody());
        var problem = await missing.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem["errors"]!["tenantId"]);

        var body = new { name = "ops-vm", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, tenantId = cloud.TenantId };
        var created = await (await admin.PostAsJsonAsync("/v1/instances", body)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(cloud.TenantId, created["tenantId"]!.GetValue<Guid>());
        Assert.NotNull(created["hostId"]);                                               // admins see the host
        var owner = api.Client(cloud.TenantKey);
        await owner.WaitForStatusAsync(created.Id(), "running");
    }

    [Fact]
    public async Task AdminKeys_CanBeCreatedListedAndRevoked()
    {
        var admin = api.Admin();
        var created = await admin.PostOk("/v1/admin-keys", new { name = "operator-2" });
        var second = api.Client(created.Str("key"));
        Assert.Equal("admin", (await second.GetJson("/v1/me")).Str("role"));
        var listed = await admin.GetJson("/v1/admin-keys?limit=500");
        Assert.Contains(listed["items"]!.AsArray(), k => k!.Id() == created.Id() && k!["key"] is null);

        (await admin.DeleteAsync($"/v1/admin-keys/{created.Id()}")).EnsureSuccessStatusCode();
        await (await second.GetAsync("/v1/me")).ExpectProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task BootstrapKey_CannotBeRevokedThroughTheApi()
    {
        var admin = api.Admin();
        var me = await admin.GetJson("/v1/me");
        await (await admin.DeleteAsync($"/v1/admin-keys/{me["keyId"]}")).ExpectProblemAsync(HttpStatusCode.Conflict, "conflict");
        (await admin.GetAsync("/v1/me")).EnsureSuccessStatusCode();
    }
}
