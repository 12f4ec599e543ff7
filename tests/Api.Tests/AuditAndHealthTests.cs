using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>The audit log of mutating requests, health endpoints and the OpenAPI document.</summary>
public sealed class AuditAndHealthTests(ApiFactory api)
{
    [Fact]
    public async Task MutatingRequests_AreAudited_WithKeyRoleTenantRouteResourceAndOutcome()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var since = api.Clock.GetUtcNow();
        var keyId = (await tenant.GetJson("/v1/me"))["keyId"]!.GetValue<Guid>();

        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");
        await tenant.PostAsync($"/v1/instances/{id}/actions/start", null);                 // refused: 409, still audited

        var events = (await api.Admin().GetJson($"/v1/audit-events?resourceId={id}"))["items"]!.AsArray();
        Assert.Equal(2, events.Count);
        var create = events[0]!;
        Assert.Equal(("POST", "/v1/instances", 202, "succeeded", "tenant"),
            (create.Str("method"), create.Str("route"), create["statusCode"]!.GetValue<int>(), create.Str("outcome"), create.Str("role")));
        Assert.Equal(keyId, create["keyId"]!.GetValue<Guid>());
        Assert.Equal(cloud.TenantId, create["tenantId"]!.GetValue<Guid>());
        var refused = events[1]!;
        Assert.Equal((409, "rejected"), (refused["statusCode"]!.GetValue<int>(), refused.Str("outcome")));
        Assert.Equal("/v1/instances/{id}/actions/{action}", refused.Str("route"));

        var byTenant = (await api.Admin().GetJson($"/v1/audit-events?tenantId={cloud.TenantId}&limit=500"))["items"]!.AsArray();
        Assert.All(byTenant, e => Assert.Equal(cloud.TenantId, e!["tenantId"]!.GetValue<Guid>()));
        var recent = (await api.Admin().GetJson($"/v1/audit-events?since={Uri.EscapeDataString(since.ToString("O"))}&limit=500"))["items"]!.AsArray();
        Assert.All(recent, e => Assert.True(e!["at"]!.GetValue<DateTimeOffset>() >= since));
        Assert.Contains(recent, e => e!["resourceId"]?.GetValue<Guid>() == id);
    }

    [Fact]
    public async Task UnauthenticatedWrites_AreAuditedToo()
    {
        var path = $"/v1/regions/{Guid.CreateVersion7()}";
        var since = Uri.EscapeDataString(api.Clock.GetUtcNow().ToString("O"));
        await api.Client(null).DeleteAsync(path);
        var events = (await api.Admin().GetJson($"/v1/audit-events?since={since}&limit=500"))["items"]!.AsArray();
        var attempt = Assert.Single(events, e => e!["path"]?.GetValue<string>() == path);
        Assert.Equal(401, attempt!["statusCode"]!.GetValue<int>());
        Assert.Null(attempt["keyId"]);
    }

    [Fact]
    public async Task Reads_AreNotAudited()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        await api.Client(cloud.TenantKey).GetJson($"/v1/flavors/{cloud.FlavorId}");
        var events = (await api.Admin().GetJson($"/v1/audit-events?resourceId={cloud.FlavorId}"))["items"]!.AsArray();
        Assert.All(events, e => Assert.NotEqual("GET", e!.Str("method")));
    }

    [Fact]
    public async Task ResetState_IsAudited_AndRestoresTheClaim()
    {
        var cloud = await api.SeedAsync(hosts: 1, flavorMemoryMiB: 2048);
        var admin = api.Admin();
        await api.Admin().PostAsJsonAsync("/v1/simulation/faults", new { operation = "spawn", hostId = cloud.HostIds[0], transient = false });
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "error");
        Assert.Equal(0, (await admin.GetJson($"/v1/hosts/{cloud.HostIds[0]}"))["allocated"]!["memoryMiB"]!.GetValue<int>());

        var reset = await (await admin.PostAsJsonAsync($"/v1/instances/{id}/actions/reset-state", new { status = "stopped", reason = "VM recovered by hand" }))
            .ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("stopped", reset.Str("status"));
        Assert.Equal(2048, (await admin.GetJson($"/v1/hosts/{cloud.HostIds[0]}"))["allocated"]!["memoryMiB"]!.GetValue<int>());
        var last = (await tenant.GetJson($"/v1/instances/{id}/actions"))["items"]!.AsArray()[^1]!;
        Assert.Equal(("reset-state", "error", "stopped", "VM recovered by hand"), (last.Str("action"), last.Str("fromStatus"), last.Str("toStatus"), last.Str("detail")));
        Assert.StartsWith("key:", last.Str("actor"));
        await (await admin.PostAsJsonAsync($"/v1/instances/{id}/actions/reset-state", new { status = "building" }))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task Health_AndReadiness_AreOpen()
    {
        var client = api.Client(null);
        Assert.Equal("ok", (await client.GetJson("/healthz")).Str("status"));
        var ready = await client.GetJson("/readyz");
        Assert.Equal(("ready", "postgresql"), (ready.Str("status"), ready.Str("database")));
    }

    [Fact]
    public async Task OpenApi_DescribesEveryRoute_TheStatusCodes_AndTheBearerScheme()
    {
        var doc = JsonNode.Parse(await api.Client(null).GetStringAsync("/swagger/v1/swagger.json"))!;
        var paths = doc["paths"]!.AsObject();
        foreach (var route in new[] { "/v1/instances", "/v1/instances/{id}", "/v1/instances/{id}/actions/{action}", "/v1/instances/{id}/actions",
                                      "/v1/operations/{id}", "/v1/hosts", "/v1/flavors", "/v1/images", "/v1/sla-plans", "/v1/tenants",
                                      "/v1/tenants/{id}/api-keys", "/v1/admin-keys", "/v1/me", "/v1/audit-events", "/v1/regions", "/v1/zones",
                                      "/healthz", "/readyz" })
            Assert.True(paths.ContainsKey(route), $"{route} missing from the OpenAPI document");
        var create = paths["/v1/instances"]!["post"]!["responses"]!.AsObject();
        foreach (var code in new[] { "202", "400", "401", "404", "409" }) Assert.True(create.ContainsKey(code), $"POST /v1/instances lacks {code}");
        Assert.True(paths["/v1/hosts"]!["post"]!["responses"]!.AsObject().ContainsKey("403"));
        Assert.False(paths["/healthz"]!["get"]!["responses"]!.AsObject().ContainsKey("401"));
        Assert.Equal("bearer", doc["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await api.Client(null).GetAsync("/swagger/index.html")).StatusCode);
    }
}
