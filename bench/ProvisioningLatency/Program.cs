// Measures what a tenant waits for: POST /v1/instances → the instance reads "running" (polled every 5 ms),
// plus the POST's own latency (admission: quota, placement, claim, commit). Sequential by default, so each
// number is one request's latency, not queueing behind others; --concurrency N measures a burst.
//   dotnet run --project bench/ProvisioningLatency -c Release -- --url http://127.0.0.1:5080 --admin-key KEY [--count 100] [--concurrency 1]
var arguments = Options(args);
var url = arguments.GetValueOrDefault("url") ?? "http://127.0.0.1:5080";
var adminKey = arguments.GetValueOrDefault("admin-key") ?? throw new ArgumentException("--admin-key is required");
var count = int.Parse(arguments.GetValueOrDefault("count") ?? "100");
var concurrency = int.Parse(arguments.GetValueOrDefault("concurrency") ?? "1");
var label = arguments.GetValueOrDefault("label") ?? url;

var admin = Client(adminKey);
var run = Guid.NewGuid().ToString("N")[..8];
var region = await Post(admin, "/v1/regions", new { name = $"bench-{run}" });
var zone = await Post(admin, "/v1/zones", new { name = $"bench-{run}", regionId = region });
for (var i = 0; i < 4; i++)
    await Post(admin, "/v1/hosts", new
    {
        name = $"bench-{run}-{i}", zoneId = zone, hypervisor = "fake",
        capacity = new { vcpus = 256, memoryMiB = 1048576, diskGiB = 100000, networkMbps = 100000 },
    });
var flavor = await Post(admin, "/v1/flavors", new { name = $"bench-{run}", vcpus = 1, memoryMiB = 1024, diskGiB = 10 });
var image = await Post(admin, "/v1/images", new { name = $"bench-{run}", os = "debian", format = "qcow2", minDiskGiB = 1 });
var plan = await Post(admin, "/v1/sla-plans", new { name = $"bench-{run}" });
var tenantId = await Post(admin, "/v1/tenants", new { name = $"bench-{run}", quotas = new { instances = -1, vcpus = -1, memoryMiB = -1 } });
var key = (await (await admin.PostAsJsonAsync($"/v1/tenants/{tenantId}/api-keys", new { name = "bench" })).Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
var tenant = Client(key);

// Warm-up: JIT, connection pools, the first Hangfire fetch.
await CreateAndWait(-1);

var admissions = new double[count];
var totals = new double[count];
var wall = Stopwatch.StartNew();
var next = -1;
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
{
    int n;
    while ((n = Interlocked.Increment(ref next)) < count)
        (admissions[n], totals[n]) = await CreateAndWait(n);
}));
wall.Stop();

Array.Sort(admissions);
Array.Sort(totals);
Console.WriteLine($"{label}: {count} creates, concurrency {concurrency}, {wall.Elapsed.TotalSeconds:F1} s wall, {count / wall.Elapsed.TotalSeconds:F1} VMs/s");
Console.WriteLine($"  POST /v1/instances (admission)  p50 {P(admissions, 50):F1} ms  p90 {P(admissions, 90):F1} ms  p99 {P(admissions, 99):F1} ms  max {admissions[^1]:F1} ms");
Console.WriteLine($"  POST → running                  p50 {P(totals, 50):F1} ms  p90 {P(totals, 90):F1} ms  p99 {P(totals, 99):F1} ms  max {totals[^1]:F1} ms");
return 0;

async Task<(double Admission, double Total)> CreateAndWait(int n)
{
    var watch = Stopwatch.StartNew();
    var response = await tenant.PostAsJsonAsync("/v1/instances", new { name = $"b{n + 1}", flavorId = flavor, imageId = image, slaPlanId = plan, zoneId = zone });
    var admission = watch.Elapsed.TotalMilliseconds;
    var body = await response.Content.ReadFromJsonAsync<JsonObject>();
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"create failed: {(int)response.StatusCode} {body}");
    var id = body!["id"]!.GetValue<string>();
    while (true)
    {
        var status = (await tenant.GetFromJsonAsync<JsonObject>($"/v1/instances/{id}"))!["status"]!.GetValue<string>();
        if (status == "running") return (admission, watch.Elapsed.TotalMilliseconds);
        if (status == "error") throw new InvalidOperationException($"instance {id} failed");
        await Task.Delay(5);
    }
}

HttpClient Client(string apiKey) => BenchHttp.Client(url, apiKey);
