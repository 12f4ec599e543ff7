using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>What a test seeded: its own zone with its own hosts, catalog entries and tenant, all uniquely named.</summary>
public sealed record Cloud(
    Guid RegionId, Guid ZoneId, IReadOnlyList<Guid> HostIds, Guid FlavorId, Guid ImageId, Guid PlanId, Guid TenantId, string TenantKey);

/// <summary>Seeding and polling through the public API, the way a client would.</summary>
public static class TestCloud
{
    private static int _counter;

    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>A region, a zone with <paramref name="hosts"/> fake hosts, a flavor, an image, a plan and a tenant with a key.</summary>
    public static async Task<Cloud> SeedAsync(this ApiFactory api, int hosts = 2, int hostVcpus = 16, int hostMemoryMiB = 32768,
        int flavorVcpus = 2, int flavorMemoryMiB = 4096, int flavorDiskGiB = 20, string strategy = "spread", object? quotas = null,
        double cpuRatio = 1.0)
    {
        var admin = api.Admin();
        var region = await admin.PostOk("/v1/regions", new { name = Unique("region") });
        var zone = await admin.PostOk("/v1/zones", new { name = Unique("zone"), regionId = region.Id() });
        var hostIds = new List<Guid>();
        for (var i = 0; i < hosts; i++)
        {
            var host = await admin.PostOk("/v1/hosts", new
            {
                name = Unique("host"), zoneId = zone.Id(), hypervisor = "fake",
                capacity = new { vcpus = hostVcpus, memoryMiB = hostMemoryMiB, diskGiB = 1000, networkMbps = 10000 },
                allocationRatios = new { cpu = cpuRatio, memory = 1.0, disk = 1.0 },
            });
            hostIds.Add(host.Id());
        }
        var flavor = await admin.PostOk("/v1/flavors", new { name = Unique("flavor"), vcpus = flavorVcpus, memoryMiB = flavorMemoryMiB, diskGiB = flavorDiskGiB });
        var image = await admin.PostOk("/v1/images", new { name = Unique("image"), os = "debian", format = "qcow2", minDiskGiB = 1 });
        var plan = await admin.PostOk("/v1/sla-plans", new
        {
            name = Unique("plan"), priority = 500, schemes = new[] { "immediate", "best-effort" }, preemptible = false,
            placementStrategy = strategy, availabilityTarget = 99.9, maxProvisioningSeconds = 300, pricePerHour = 0.1, penaltyPercent = 10,
        });
        var (tenantId, key) = await api.NewTenantAsync(quotas ?? new { instances = -1, vcpus = -1, memoryMiB = -1 });
        return new Cloud(region.Id(), zone.Id(), hostIds, flavor.Id(), image.Id(), plan.Id(), tenantId, key);
    }

    public static async Task<(Guid Id, string Key)> NewTenantAsync(this ApiFactory api, object? quotas = null)
    {
        var admin = api.Admin();
        var tenant = await admin.PostOk("/v1/tenants", new { name = Unique("tenant"), quotas });
        var key = await admin.PostOk($"/v1/tenants/{tenant.Id()}/api-keys", new { name = "test" });
        return (tenant.Id(), key["key"]!.GetValue<string>());
    }

    public static object CreateBody(this Cloud c, string? name = null, int? count = null) =>
        new { name = name ?? Unique("vm"), flavorId = c.FlavorId, imageId = c.ImageId, slaPlanId = c.PlanId, zoneId = c.ZoneId, count };

    /// <summary>POST a create and wait for it to be accepted; returns the instance.</summary>
    public static async Task<JsonObject> CreateInstanceAsync(this HttpClient tenant, Cloud c, string? name = null)
    {
        var response = await tenant.PostAsJsonAsync("/v1/instances", c.CreateBody(name));
        return await response.ExpectAsync(HttpStatusCode.Accepted);
    }

    /// <summary>Polls GET until the status is reached (jobs commit after returning: poll, don't assert once).</summary>
    public static async Task<JsonObject> WaitForStatusAsync(this HttpClient client, Guid instanceId, string status, int timeoutMs = 15000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await client.GetJson($"/v1/instances/{instanceId}");
            if (last["status"]!.GetValue<string>() == status) return last;
            await Task.Delay(50);
        }
        var op = last?["operationId"]?.GetValue<Guid?>() is { } opId ? (await client.GetAsync($"/v1/operations/{opId}")).Content.ReadAsStringAsync().Result : null;
        throw new TimeoutException($"Instance {instanceId} did not reach '{status}' in {timeoutMs} ms; last: {last?.ToJsonString()}; its operation: {op}; " +
                                   await BacklogAsync());
    }

    private static Task<string> BacklogAsync() => ApiFactory.Current?.DescribeBacklogAsync() ?? Task.FromResult("");

    public static async Task<JsonObject> WaitForOperationAsync(this HttpClient client, Guid operationId, int timeoutMs = 15000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await client.GetJson($"/v1/operations/{operationId}");
            if (last["status"]!.GetValue<string>() != "running") return last;
            await Task.Delay(50);
        }
        throw new TimeoutException($"Operation {operationId} still running after {timeoutMs} ms: {last?.ToJsonString()}; {await BacklogAsync()}");
    }

    public static async Task<JsonObject> GetJson(this HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    public static async Task<JsonObject> PostOk(this HttpClient client, string url, object body)
    {
        var response = await client.PostAsJsonAsync(url, body);
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    public static async Task<JsonObject> ExpectAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected,
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Asserts a problem+json response with the given status and problem slug; returns the problem.</summary>
    public static async Task<JsonObject> ExpectProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var problem = await response.ExpectAsync(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"https://iaasapi.dev/problems/{slug}", problem["type"]?.GetValue<string>());
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        return problem;
    }

    public static Guid Id(this JsonNode node) => node["id"]!.GetValue<Guid>();

    public static string Str(this JsonNode node, string field) => node[field]!.GetValue<string>();

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);
}
