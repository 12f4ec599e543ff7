using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>A fault campaign's cloud: two zones, a storage pool in each, the fleet's hosts, a catalog and a tenant.</summary>
public sealed record FaultCloud(IReadOnlyList<Guid> Zones, IReadOnlyDictionary<Guid, Guid> Pools, IReadOnlyDictionary<string, Guid> Hosts,
                                Guid FlavorId, Guid ImageId, Guid PlanId, Guid TenantId, string TenantKey);

/// <summary>One answer the load got: when it was asked, how long it took, what it was, and how it ended (0: none in time).</summary>
public sealed record Answer(DateTimeOffset At, TimeSpan Took, string What, int Code, string? Slug, bool RetryAfter);

/// <summary>
/// The steady load of a fault campaign, through the public API like a busy tenant and its operator: creates, deletes,
/// stops and starts, live, cold and storage migrations, and now and then a drain. Refusals (409s) are expected; every
/// answer is recorded, and any 5xx but <c>503 unavailable</c> with <c>Retry-After</c>, or no answer within the client's
/// timeout, is a server error.
/// </summary>
public sealed class FaultLoad(Fleet fleet, string adminKey, TimeSpan clientTimeout)
{
    public ConcurrentDictionary<string, int> Responses { get; } = new();
    public ConcurrentQueue<string> ServerErrors { get; } = new();
    public ConcurrentDictionary<string, string> Samples { get; } = new();
    public ConcurrentQueue<Answer> Answers { get; } = new();

    /// <summary>Fast timings for campaigns: heartbeats every second, a host down after 6 s, dead workers found in 4 s.</summary>
    public static Dictionary<string, string> FastSettings(int downAfterSeconds = 6) => new()
    {
        ["Iaas__Health__HeartbeatSeconds"] = "1",
        ["Iaas__Health__HostDownAfterSeconds"] = downAfterSeconds.ToString(),
        ["Iaas__Health__ReconcileSeconds"] = "5",
        ["Iaas__Reconciler__IntervalSeconds"] = "2",
        ["Iaas__Reconciler__StuckAfterSeconds"] = "8",
        ["Iaas__Reconciler__MaxRedrives"] = "10",
        ["Iaas__Jobs__MaxAttempts"] = "8",
        ["Iaas__Jobs__RetryDelaysSeconds__0"] = "1", ["Iaas__Jobs__RetryDelaysSeconds__1"] = "1", ["Iaas__Jobs__RetryDelaysSeconds__2"] = "2",
        ["Iaas__Jobs__RetryDelaysSeconds__3"] = "2", ["Iaas__Jobs__RetryDelaysSeconds__4"] = "3",
        ["Iaas__Jobs__QueuePollIntervalMilliseconds"] = "100",
        ["Iaas__Jobs__SchedulePollingIntervalMilliseconds"] = "250",
        ["Iaas__Jobs__ServerHeartbeatSeconds"] = "1",
        ["Iaas__Jobs__InvisibilityTimeoutSeconds"] = "10",
        ["Iaas__Jobs__DistributedLockTimeoutSeconds"] = "10",
        ["Iaas__Migration__AgentTaskTimeoutSeconds"] = "4",
        ["Iaas__Migration__PollMilliseconds"] = "100",
        ["Iaas__FakeDriver__MigrationSpeedup"] = "4",
        ["Iaas__FakeDriver__SpawnMilliseconds"] = "300",
        ["Iaas__FakeDriver__DestroyMilliseconds"] = "100",
        ["Iaas__FakeDriver__PowerMilliseconds"] = "100",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    /// <summary>Two zones; every agent has one host in each, so moves within a zone cross agents.</summary>
    public async Task<FaultCloud> SeedAsync(HttpClient admin)
    {
        var region = await admin.PostOk("/v1/regions", new { name = "fault" });
        var zones = new List<Guid>();
        var pools = new Dictionary<Guid, Guid>();
        for (var z = 1; z <= 2; z++)
        {
            var zone = (await admin.PostOk("/v1/zones", new { name = $"fz{z}", regionId = region.Id() })).Id();
            zones.Add(zone);
            pools[zone] = (await admin.PostOk("/v1/storage-pools", new { name = $"pool{z}", zoneId = zone, capacityGiB = 5000 })).Id();
        }
        var hosts = new Dictionary<string, Guid>();
        foreach (var (agent, names) in fleet.HostsByAgent)
            for (var i = 0; i < names.Count; i++)
                hosts[names[i]] = (await admin.PostOk("/v1/hosts", new
                {
                    name = names[i], zoneId = zones[i % zones.Count], hypervisor = "fake",
                    capacity = new { vcpus = 24, memoryMiB = 49152, diskGiB = 500, networkMbps = 10000 },
                })).Id();
        var flavor = (await admin.PostOk("/v1/flavors", new { name = "fs", vcpus = 2, memoryMiB = 2048, diskGiB = 10 })).Id();
        var image = (await admin.PostOk("/v1/images", new { name = "fi", os = "debian", format = "qcow2", minDiskGiB = 1 })).Id();
        var plan = (await admin.PostOk("/v1/sla-plans", new
        {
            name = "fp", priority = 500, schemes = new[] { "immediate", "best-effort" }, preemptible = false, placementStrategy = "spread",
            availabilityTarget = 99.9, maxProvisioningSeconds = 300, pricePerHour = 0.1, penaltyPercent = 10,
        })).Id();
        (await admin.PatchAsJsonAsync($"/v1/sla-plans/{plan}", new { migrationPolicy = new { allowCold = true } })).EnsureSuccessStatusCode();
        var tenant = await admin.PostOk("/v1/tenants", new { name = "ft", quotas = new { instances = -1, vcpus = -1, memoryMiB = -1 } });
        var key = (await admin.PostOk($"/v1/tenants/{tenant.Id()}/api-keys", new { name = "fault" }))["key"]!.GetValue<string>();
        return new FaultCloud(zones, pools, hosts, flavor, image, plan, tenant.Id(), key);
    }

    /// <summary>One client's steady mix, like a busy tenant and its operator; refusals (409s) are expected, a 5xx never.</summary>
    public async Task ClientAsync(FaultCloud cloud, Random random, CancellationToken stop)
    {
        var tenant = fleet.Api.Client(cloud.TenantKey);
        var admin = fleet.Api.Client(adminKey);
        tenant.Timeout = admin.Timeout = clientTimeout;
        var mine = new List<Guid>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // About six instances per client (half the cloud's capacity in all), so there is room to move them.
                var roll = mine.Count < 4 ? 0 : mine.Count > 8 ? 0.2 : random.NextDouble();
                var vm = mine.Count > 0 ? mine[random.Next(mine.Count)] : Guid.Empty;
                if (roll < 0.15)
                {
                    var zone = cloud.Zones[random.Next(cloud.Zones.Count)];
                    var body = new { name = $"f{random.Next(10000)}", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = zone };
                    var created = await SendAsync(tenant.PostAsJsonAsync("/v1/instances", body, CancellationToken.None), "create");
                    if (created?["id"] is { } id) mine.Add(id.GetValue<Guid>());
                }
                else if (roll < 0.3)
                {
                    if (await SendAsync(tenant.DeleteAsync($"/v1/instances/{vm}", CancellationToken.None), "delete") is not null) mine.Remove(vm);
                }
                else if (roll < 0.48)
                {
                    var status = (await SendAsync(tenant.GetAsync($"/v1/instances/{vm}", CancellationToken.None), "get"))?["status"]?.GetValue<string>();
                    if (status is "running" or "stopped")
                        await SendAsync(tenant.PostAsync($"/v1/instances/{vm}/actions/{(status == "running" ? "stop" : "start")}", null, CancellationToken.None), "power");
                }
                else
                {
                    // An operator moves what is up: live and storage for a running instance, cold for a running or stopped one.
                    var instance = await SendAsync(admin.GetAsync($"/v1/instances/{vm}", CancellationToken.None), "get");
                    var status = instance?["status"]?.GetValue<string>();
                    if (roll < 0.72 && status == "running")
                        await SendAsync(admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "live" }, CancellationToken.None), "live");
                    else if (roll < 0.84 && status is "running" or "stopped")
                        await SendAsync(admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "cold" }, CancellationToken.None), "cold");
                    else if (roll < 0.92 && status == "running" && instance!["storagePoolId"] is null && instance["zoneId"]?.GetValue<Guid>() is { } zone)
                        await SendAsync(admin.PostAsJsonAsync($"/v1/instances/{vm}/actions/migrate", new { type = "storage", targetPoolId = cloud.Pools[zone] },
                            CancellationToken.None), "storage");
                }
                await Task.Delay(100 + random.Next(200), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>Now and then an operator drains a host and brings it back.</summary>
    public async Task DrainsAsync(FaultCloud cloud, Random random, CancellationToken stop)
    {
        var admin = fleet.Api.Client(adminKey);
        admin.Timeout = clientTimeout;
        var hosts = cloud.Hosts.Values.ToList();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(4000 + random.Next(3000), stop);
                var host = hosts[random.Next(hosts.Count)];
                await SendAsync(admin.PostAsync($"/v1/hosts/{host}/actions/enter-maintenance", null, CancellationToken.None), "drain");
                await Task.Delay(3000 + random.Next(4000), stop);
                await SendAsync(admin.PostAsync($"/v1/hosts/{host}/actions/exit-maintenance", null, CancellationToken.None), "undrain");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
    }

    private async Task<JsonObject?> SendAsync(Task<HttpResponseMessage> request, string what)
    {
        var at = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        HttpResponseMessage response;
        try
        {
            response = await request;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Record(new Answer(at, watch.Elapsed, what, 0, null, false));
            ServerErrors.Enqueue($"{what}: no answer within {clientTimeout.TotalSeconds:0} s ({ex.GetType().Name})");
            return null;
        }
        var code = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        var slug = code >= 400 && text.StartsWith('{') ? JsonNode.Parse(text)?["type"]?.GetValue<string>()?.Split('/')[^1] : null;
        Record(new Answer(at, watch.Elapsed, what, code, slug, response.Headers.RetryAfter is not null));
        if (slug is not null) Samples.TryAdd($"{what} {slug}", text.Length > 400 ? text[..400] : text);
        if (code >= 500 && !(code == 503 && slug == "unavailable" && response.Headers.RetryAfter is not null)) ServerErrors.Enqueue($"{what} {code}: {text}");
        return response.IsSuccessStatusCode && text.StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : null;
    }

    private void Record(Answer answer)
    {
        Answers.Enqueue(answer);
        Responses.AddOrUpdate($"{answer.What} {(answer.Code == 0 ? "no answer" : answer.Code)}{(answer.Slug is null ? "" : $" {answer.Slug}")}", 1, (_, n) => n + 1);
    }

    /// <summary>The answers by request and outcome, e.g. "create 202 × 58, create 409 no-valid-host × 3".</summary>
    public string Summary() => string.Join(", ", Responses.OrderBy(p => p.Key).Select(p => $"{p.Key} × {p.Value}"));
}
