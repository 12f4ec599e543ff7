// One tenant floods, another creates at a steady rate: what does the flood cost the quiet tenant's creates?
//   dotnet IaasApi.TenantFlood.dll --url URL --admin-key KEY [--seconds 30] [--rate 5] [--flood-rate 400] [--clients 64] [--hosts 100]
// Tenant B's POST /v1/instances at --rate per second (open loop: latency from each request's scheduled start, so time
// waiting for a free client is counted), three times: alone; while tenant A's one key sends --flood-rate requests per
// second (open loop, at most 512 in flight); while A's key is hammered by --clients concurrent clients in a closed loop
// (each answer, 429s included, is followed at once by the next request). A's requests cycle GET /v1/instances?limit=50,
// GET /v1/me, POST /v1/instances.
var options = Options(args);
var url = options["url"];
var adminKey = options["admin-key"];
var seconds = int.Parse(options.GetValueOrDefault("seconds") ?? "30");
var rate = double.Parse(options.GetValueOrDefault("rate") ?? "5", System.Globalization.CultureInfo.InvariantCulture);
var floodRate = double.Parse(options.GetValueOrDefault("flood-rate") ?? "400", System.Globalization.CultureInfo.InvariantCulture);
var clients = int.Parse(options.GetValueOrDefault("clients") ?? "64");
var hostCount = int.Parse(options.GetValueOrDefault("hosts") ?? "100");

using var admin = Client(adminKey);
var run = Guid.NewGuid().ToString("N")[..6];
var region = await Post(admin, "/v1/regions", new { name = $"f-{run}" });
var zone = await Post(admin, "/v1/zones", new { name = $"f-{run}", regionId = region });
await Parallel.ForEachAsync(Enumerable.Range(0, hostCount), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
    await Post(admin, "/v1/hosts", new
    {
        name = $"f-{run}-h{i}", zoneId = zone, hypervisor = "fake",
        capacity = new { vcpus = 128, memoryMiB = 1048576, diskGiB = 100000, networkMbps = 100000 },
        allocationRatios = new { cpu = 4.0, memory = 1.0, disk = 1.0 },
    }));
var flavor = await Post(admin, "/v1/flavors", new { name = $"f-{run}", vcpus = 1, memoryMiB = 512, diskGiB = 1 });
var image = await Post(admin, "/v1/images", new { name = $"f-{run}", os = "debian", format = "qcow2", minDiskGiB = 1 });
var plan = await Post(admin, "/v1/sla-plans", new { name = $"f-{run}", placementStrategy = "spread" });
using var flooder = Client(await TenantKey("a"));
using var quiet = Client(await TenantKey("b"));
var sequence = 0;
object Body() => new { name = $"v{Interlocked.Increment(ref sequence)}", flavorId = flavor, imageId = image, slaPlanId = plan, zoneId = zone };

Console.WriteLine($"{hostCount} hosts; tenant B creates {rate:F0}/s for {seconds} s: alone, under tenant A's flood at {floodRate:F0} requests/s, " +
                  $"and under A's closed-loop flood from {clients} clients (A: one key)");
await Paced(TimeSpan.FromSeconds(3), warmUp: true);
Console.WriteLine($"  B alone:                 {await Paced(TimeSpan.FromSeconds(seconds))}");
await Flood($"A at {floodRate:F0}/s", closedLoop: false);
await Flood($"A closed loop, {clients} clients", closedLoop: true);
return 0;

// A's flood during one of B's phases; prints B's latencies and what A got.
async Task Flood(string label, bool closedLoop)
{
    using var stop = new CancellationTokenSource();
    long served = 0, refused = 0, failed = 0, creates = 0;
    var otherStatuses = new SortedDictionary<int, int>();
    async Task One(int n)
    {
        using var response = (n % 3) switch
        {
            0 => await flooder.GetAsync("/v1/instances?limit=50"),
            1 => await flooder.GetAsync("/v1/me"),
            _ => await flooder.PostAsJsonAsync("/v1/instances", Body()),
        };
        if (response.IsSuccessStatusCode)
        {
            Interlocked.Increment(ref served);
            if (response.StatusCode == HttpStatusCode.Accepted) Interlocked.Increment(ref creates);
        }
        else if (response.StatusCode == HttpStatusCode.TooManyRequests) Interlocked.Increment(ref refused);
        else
        {
            Interlocked.Increment(ref failed);
            lock (otherStatuses) otherStatuses[(int)response.StatusCode] = otherStatuses.GetValueOrDefault((int)response.StatusCode) + 1;
        }
    }
    var flood = closedLoop
        ? Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
          {
              for (var n = c; !stop.IsCancellationRequested; n += clients) await One(n);
          })))
        : Task.Run(async () =>
          {
              using var slots = new SemaphoreSlim(512);
              var inFlight = new List<Task>();
              var origin = Stopwatch.GetTimestamp();
              for (var n = 0; !stop.IsCancellationRequested; n++)
              {
                  var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), origin + (long)(n / floodRate * Stopwatch.Frequency));
                  if (wait > TimeSpan.Zero) await Task.Delay(wait);
                  await slots.WaitAsync();
                  var index = n;
                  inFlight.Add(Task.Run(async () => { try { await One(index); } finally { slots.Release(); } }));
              }
              await Task.WhenAll(inFlight);
          });
    await Task.Delay(TimeSpan.FromSeconds(2));   // the flood at full speed (and A's burst spent) before B's clock starts
    var (s0, r0, f0, c0) = (Interlocked.Read(ref served), Interlocked.Read(ref refused), Interlocked.Read(ref failed), Interlocked.Read(ref creates));
    var clock = Stopwatch.StartNew();
    var quietLine = await Paced(TimeSpan.FromSeconds(seconds));
    var elapsed = clock.Elapsed.TotalSeconds;
    var (s1, r1, f1, c1) = (Interlocked.Read(ref served), Interlocked.Read(ref refused), Interlocked.Read(ref failed), Interlocked.Read(ref creates));
    await stop.CancelAsync();
    await flood;
    Console.WriteLine($"  B under {label + ":",-24}{quietLine}");
    Console.WriteLine($"    A meanwhile: {(s1 - s0 + r1 - r0 + f1 - f0) / elapsed:F0} requests/s answered: {(s1 - s0) / elapsed:F1}/s served " +
                      $"({(c1 - c0) / elapsed:F1} creates/s), {r1 - r0} refused with 429 ({(r1 - r0) / elapsed:F0}/s), {f1 - f0} other errors{Statuses(otherStatuses)}");
}

// B's creates at a fixed rate for a while; returns the summary line.
async Task<string> Paced(TimeSpan length, bool warmUp = false)
{
    var total = (int)(length.TotalSeconds * rate);
    var latencies = new double[total];
    int accepted = 0, limited = 0, other = 0;
    var otherStatuses = new SortedDictionary<int, int>();
    var inFlight = new List<Task>(total);
    var origin = Stopwatch.GetTimestamp();
    for (var n = 0; n < total; n++)
    {
        var scheduled = origin + (long)(n / rate * Stopwatch.Frequency);
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), scheduled);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        var index = n;
        inFlight.Add(Task.Run(async () =>
        {
            using var response = await quiet.PostAsJsonAsync("/v1/instances", Body());
            latencies[index] = Stopwatch.GetElapsedTime(scheduled).TotalMilliseconds;
            if (response.StatusCode == HttpStatusCode.Accepted) Interlocked.Increment(ref accepted);
            else if (response.StatusCode == HttpStatusCode.TooManyRequests) Interlocked.Increment(ref limited);
            else
            {
                Interlocked.Increment(ref other);
                lock (otherStatuses) otherStatuses[(int)response.StatusCode] = otherStatuses.GetValueOrDefault((int)response.StatusCode) + 1;
            }
        }));
    }
    await Task.WhenAll(inFlight);
    Array.Sort(latencies);
    return warmUp ? "" : $"{total} creates: POST p50 {P(latencies, 50):F1} ms p99 {P(latencies, 99):F1} ms max {latencies[^1]:F1} ms; " +
                         $"{accepted} accepted, {limited} refused with 429, {other} other{Statuses(otherStatuses)}";
}

static string Statuses(SortedDictionary<int, int> statuses)
{
    lock (statuses) return statuses.Count == 0 ? "" : $" ({string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))})";
}

async Task<string> TenantKey(string suffix)
{
    var tenant = await Post(admin, "/v1/tenants", new { name = $"f-{run}-{suffix}", quotas = new { instances = -1, vcpus = -1, memoryMiB = -1 } });
    var key = await (await admin.PostAsJsonAsync($"/v1/tenants/{tenant}/api-keys", new { name = "bench" })).Content.ReadFromJsonAsync<JsonObject>();
    return key!["key"]!.GetValue<string>();
}

HttpClient Client(string key) => BenchHttp.Client(url, key, 256);
