// Full REST create-with-claim throughput: POST /v1/instances (auth, validation, catalog reads, quota claim, placement on
// the in-memory snapshot, conditional capacity claim, instance/operation/audit rows, commit, Hangfire enqueue) against
// a cloud of N hosts, from 1 and 16 concurrent clients, each its own tenant.
//   dotnet IaasApi.RestPlacement.dll --url URL --admin-key KEY [--hosts 1000] [--clients 1,16] [--creates 400]
// Reservations: N future reservations booked first, then the latency of booking one more (the feasibility check and
// the booking) and of the capacity timeline, all hosts in one zone:
//   dotnet IaasApi.RestPlacement.dll --url URL --admin-key KEY --hosts 1000 --zones 1 --reservations 10000 [--checks 500]
var options = Options(args);
var url = options["url"];
var adminKey = options["admin-key"];
var hostCount = int.Parse(options.GetValueOrDefault("hosts") ?? "1000");
var clientCounts = (options.GetValueOrDefault("clients") ?? "1,16").Split(',').Select(int.Parse).ToArray();
var creates = int.Parse(options.GetValueOrDefault("creates") ?? "400");
// --rate R: open loop — one request every 1/R s, at most `clients` in flight; latency is counted from each request's
// scheduled start, so time spent waiting for a free client is included (no coordinated omission).
var rate = options.TryGetValue("rate", out var r) ? double.Parse(r, System.Globalization.CultureInfo.InvariantCulture) : 0;

using var admin = Client(adminKey);
var run = Guid.NewGuid().ToString("N")[..6];
var region = await Post(admin, "/v1/regions", new { name = $"b-{run}" });
var zones = new List<string>();
var zoneCount = int.Parse(options.GetValueOrDefault("zones") ?? "10");
for (var z = 0; z < zoneCount; z++) zones.Add(await Post(admin, "/v1/zones", new { name = $"b-{run}-z{z}", regionId = region }));
var seeded = 0;
await Parallel.ForEachAsync(Enumerable.Range(0, hostCount), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
{
    var big = i % 4 == 0;
    await Post(admin, "/v1/hosts", new
    {
        name = $"b-{run}-h{i}", zoneId = zones[i % zones.Count], hypervisor = "fake",
        capacity = big ? new { vcpus = 128, memoryMiB = 1048576, diskGiB = 8000, networkMbps = 100000 }
                       : new { vcpus = 64, memoryMiB = 262144, diskGiB = 4000, networkMbps = 25000 },
        allocationRatios = new { cpu = 4.0, memory = 1.0, disk = 1.0 },
        traits = i % 2 == 0 ? new[] { "ssd" } : new[] { "hdd" },
    });
    Interlocked.Increment(ref seeded);
});
var flavors = new[]
{
    await Post(admin, "/v1/flavors", new { name = $"b-{run}-s", vcpus = 1, memoryMiB = 2048, diskGiB = 20 }),
    await Post(admin, "/v1/flavors", new { name = $"b-{run}-m", vcpus = 2, memoryMiB = 4096, diskGiB = 40 }),
    await Post(admin, "/v1/flavors", new { name = $"b-{run}-l", vcpus = 4, memoryMiB = 16384, diskGiB = 80 }),
};
var image = await Post(admin, "/v1/images", new { name = $"b-{run}", os = "debian", format = "qcow2", minDiskGiB = 1 });
var plan = await Post(admin, "/v1/sla-plans", new { name = $"b-{run}", placementStrategy = "spread" });
var tenants = new List<HttpClient>();
for (var t = 0; t < clientCounts.Max(); t++)
{
    var tenant = await Post(admin, "/v1/tenants", new { name = $"b-{run}-t{t}", quotas = new { instances = -1, vcpus = -1, memoryMiB = -1 } });
    var key = (await (await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/api-keys", new { name = "bench" })).Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    tenants.Add(Client(key));
}
Console.WriteLine($"{hostCount} hosts in {zones.Count} zones (PostgreSQL); creates are cloud-wide: every decision ranks all {hostCount} hosts");

var sequence = 0;
if (options.TryGetValue("reservations", out var reservationCount))
{
    await Reservations(int.Parse(reservationCount), int.Parse(options.GetValueOrDefault("checks") ?? "500"));
    return 0;
}
await Burst(1, 50, warmUp: true);
foreach (var clients in clientCounts) await Burst(clients, creates, warmUp: false);
if (rate > 0) await Paced(clientCounts.Max(), creates, rate);
return 0;

async Task Paced(int clients, int total, double perSecond)
{
    var before = await Stats();
    var latencies = new double[total];
    int accepted = 0, refused = 0;
    using var slots = new SemaphoreSlim(clients);
    var inFlight = new List<Task>(total);
    var origin = Stopwatch.GetTimestamp();
    for (var n = 0; n < total; n++)
    {
        var scheduled = origin + (long)(n / perSecond * Stopwatch.Frequency);
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), scheduled);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        var index = n;
        inFlight.Add(Task.Run(async () =>
        {
            await slots.WaitAsync();
            try
            {
                var body = new { name = $"v{Interlocked.Increment(ref sequence)}", flavorId = flavors[index % flavors.Length], imageId = image, slaPlanId = plan };
                using var response = await tenants[index % tenants.Count].PostAsJsonAsync("/v1/instances", body);
                latencies[index] = Stopwatch.GetElapsedTime(scheduled).TotalMilliseconds;
                if (response.StatusCode == HttpStatusCode.Accepted) Interlocked.Increment(ref accepted);
                else if (response.StatusCode == HttpStatusCode.Conflict) Interlocked.Increment(ref refused);
                else throw new InvalidOperationException($"create: {(int)response.StatusCode}");
            }
            finally
            {
                slots.Release();
            }
        }));
    }
    await Task.WhenAll(inFlight);
    var seconds = Stopwatch.GetElapsedTime(origin).TotalSeconds;
    var after = await Stats();
    Array.Sort(latencies);
    Console.WriteLine($"open loop at {perSecond:F0}/s offered, up to {clients} in flight: {accepted / seconds:F0} placements/s; " +
                      $"POST p50 {P(latencies, 50):F1} ms p99 {P(latencies, 99):F1} ms max {latencies[^1]:F1} ms; {refused} refused; " +
                      $"claims lost {after["claimsLost"]!.GetValue<long>() - before["claimsLost"]!.GetValue<long>()}");
}

async Task Burst(int clients, int total, bool warmUp)
{
    var before = await Stats();
    var latencies = new double[total];
    int accepted = 0, refused = 0, next = -1;
    var wall = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
    {
        int n;
        while ((n = Interlocked.Increment(ref next)) < total)
        {
            var body = new { name = $"v{Interlocked.Increment(ref sequence)}", flavorId = flavors[n % flavors.Length], imageId = image, slaPlanId = plan };
            var start = Stopwatch.GetTimestamp();
            using var response = await tenants[c].PostAsJsonAsync("/v1/instances", body);
            latencies[n] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (response.StatusCode == HttpStatusCode.Accepted) Interlocked.Increment(ref accepted);
            else if (response.StatusCode == HttpStatusCode.Conflict) Interlocked.Increment(ref refused);
            else throw new InvalidOperationException($"create: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }));
    wall.Stop();
    if (warmUp) return;
    var after = await Stats();
    Array.Sort(latencies);
    Console.WriteLine($"{clients,2} client(s): {total} creates in {wall.Elapsed.TotalSeconds:F1} s = {accepted / wall.Elapsed.TotalSeconds:F0} placements/s; " +
                      $"POST p50 {P(latencies, 50):F1} ms p99 {P(latencies, 99):F1} ms max {latencies[^1]:F1} ms; {refused} refused; " +
                      $"claims lost (retried on an alternate) {after["claimsLost"]!.GetValue<long>() - before["claimsLost"]!.GetValue<long>()}, " +
                      $"transactions retried {after["transactionRetries"]!.GetValue<long>() - before["transactionRetries"]!.GetValue<long>()}");
}

async Task Reservations(int count, int checks)
{
    var leasePlan = await Post(admin, "/v1/sla-plans", new { name = $"b-{run}-lease", schemes = new[] { "immediate", "reservation" }, placementStrategy = "pack" });
    var origin = DateTimeOffset.UtcNow.AddMinutes(10);
    object Lease(Random random, int n)
    {
        var start = origin.AddMinutes(random.Next(0, 30 * 24 * 60));
        return new
        {
            name = $"l{n}", flavorId = flavors[random.Next(flavors.Length)], count = random.Next(1, 5), zoneId = zones[0],
            start, end = start.AddHours(random.Next(1, 49)), slaPlanId = leasePlan, graceSeconds = 0,
        };
    }
    var booked = 0;
    var seeding = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (n, _) =>
    {
        using var response = await tenants[n % tenants.Count].PostAsJsonAsync("/v1/reservations", Lease(new Random(n), n));
        if (response.StatusCode == HttpStatusCode.Created) Interlocked.Increment(ref booked);
        else if (response.StatusCode != HttpStatusCode.Conflict) throw new InvalidOperationException($"reserve: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    });
    Console.WriteLine($"{booked:N0} future reservations booked over the next 30 days on {hostCount} hosts in one zone in {seeding.Elapsed.TotalSeconds:F0} s " +
                      $"({booked / seeding.Elapsed.TotalSeconds:F0}/s from 8 clients)");

    var random = new Random(4242);
    var latencies = new double[checks];
    int created = 0, refused = 0;
    for (var n = 0; n < checks; n++)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await tenants[0].PostAsJsonAsync("/v1/reservations", Lease(random, count + n));
        latencies[n] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (response.StatusCode == HttpStatusCode.Created) created++;
        else if (response.StatusCode == HttpStatusCode.Conflict) refused++;
        else throw new InvalidOperationException($"reserve: {(int)response.StatusCode}");
    }
    Array.Sort(latencies);
    Console.WriteLine($"POST /v1/reservations (feasibility check + booking), 1 client: p50 {P(latencies, 50):F1} ms p99 {P(latencies, 99):F1} ms " +
                      $"max {latencies[^1]:F1} ms; {created} booked, {refused} refused");

    var series = new double[Math.Min(checks, 200)];
    for (var n = 0; n < series.Length; n++)
    {
        var from = origin.AddHours(random.Next(0, 24 * 23)).ToString("O");
        var to = DateTimeOffset.Parse(from).AddDays(7).ToString("O");
        var start = Stopwatch.GetTimestamp();
        using var response = await tenants[0].GetAsync($"/v1/capacity?zoneId={zones[0]}&from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}&step=1h");
        series[n] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"capacity: {(int)response.StatusCode}");
    }
    Array.Sort(series);
    Console.WriteLine($"GET /v1/capacity (7 days hourly, {hostCount} hosts), 1 client: p50 {P(series, 50):F1} ms p99 {P(series, 99):F1} ms max {series[^1]:F1} ms");
}

async Task<JsonObject> Stats() => (await admin.GetFromJsonAsync<JsonObject>("/v1/placement/stats"))!["counters"]!.AsObject();

HttpClient Client(string key) => BenchHttp.Client(url, key, 64);
