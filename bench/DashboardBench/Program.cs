using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

// The dashboard's first render at scale: seeds a cloud of --hosts hosts and --instances running instances through the
// REST API, then opens /dashboard/ in Debian's Chromium (signed in: the key in session storage) and times each view
// from navigation to its data drawn (the page marks <main data-ready="<view>">), cold (a fresh browser context: nothing
// cached) and warm. Usage: DashboardBench --url http://127.0.0.1:5190 --admin-key K [--hosts 1000] [--instances 10000] [--runs 5]

var options = args.Select((a, i) => (a, i)).Where(x => x.a.StartsWith("--")).ToDictionary(x => x.a[2..], x => args[x.i + 1]);
var url = options["url"];
var hosts = int.Parse(options.GetValueOrDefault("hosts", "1000"));
var instances = int.Parse(options.GetValueOrDefault("instances", "10000"));
var runs = int.Parse(options.GetValueOrDefault("runs", "5"));
using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options["admin-key"]);

async Task<JsonObject> Post(string path, object body)
{
    var response = await http.PostAsJsonAsync(path, body);
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {text}");
    return JsonNode.Parse(text)!.AsObject();
}

var seed = Stopwatch.StartNew();
var region = await Post("/v1/regions", new { name = "bench" });
var zones = new List<string>();
for (var z = 0; z < 4; z++) zones.Add((await Post("/v1/zones", new { name = $"zone-{z}", regionId = region["id"]!.GetValue<string>() }))["id"]!.GetValue<string>());
await Parallel.ForEachAsync(Enumerable.Range(0, hosts), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (h, _) =>
    await Post("/v1/hosts", new { name = $"h{h:D4}", zoneId = zones[h % zones.Count], hypervisor = "fake",
                                   capacity = new { vcpus = 64, memoryMiB = 262144, diskGiB = 4000, networkMbps = 25000 } }));
var flavor = (await Post("/v1/flavors", new { name = "bench-1", vcpus = 1, memoryMiB = 1024, diskGiB = 10 }))["id"]!.GetValue<string>();
var image = (await Post("/v1/images", new { name = "bench-image", os = "linux", format = "qcow2", minDiskGiB = 1 }))["id"]!.GetValue<string>();
var plan = (await Post("/v1/sla-plans", new { name = "bench-plan", schemes = new[] { "immediate" } }))["id"]!.GetValue<string>();
var tenant = (await Post("/v1/tenants", new { name = "bench-tenant", quotas = new { instances = -1, vcpus = -1, memoryMiB = -1 } }))["id"]!.GetValue<string>();
await Parallel.ForEachAsync(Enumerable.Range(0, instances / 100), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (b, _) =>
    await Post("/v1/instances", new { name = $"vm-{b}", flavorId = flavor, imageId = image, slaPlanId = plan, tenantId = tenant, count = 100 }));
JsonNode overview;
while (true)
{
    overview = JsonNode.Parse(await http.GetStringAsync("/v1/overview"))!;
    if (overview["operationsInFlight"]!.GetValue<int>() == 0) break;                 // every create done (running, or failed)
    await Task.Delay(2000);
}
Console.WriteLine($"seeded {hosts} hosts and {instances} instances through the API in {seed.Elapsed.TotalSeconds:F0} s: {overview["instancesByStatus"]!.ToJsonString()}");

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = "/usr/bin/chromium", Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-quic"],
});
var key = options["admin-key"];
foreach (var view in new[] { "overview", "hosts", "instances" })
{
    var cold = new List<double>();
    var warm = new List<double>();
    for (var r = 0; r < runs; r++)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1360, Height = 900 } });
        await context.AddInitScriptAsync($"sessionStorage.setItem('iaas.apiKey', {System.Text.Json.JsonSerializer.Serialize(key)})");
        var page = await context.NewPageAsync();
        foreach (var list in new[] { cold, warm })                               // a fresh context, then the same one again
        {
            var watch = Stopwatch.StartNew();
            await page.GotoAsync($"{url}/dashboard/#/{view}");
            await page.WaitForSelectorAsync($"main[data-ready='{view}']", new PageWaitForSelectorOptions { Timeout = 60_000 });
            list.Add(watch.Elapsed.TotalMilliseconds);
            await page.GotoAsync("about:blank");
        }
    }
    static string Stats(List<double> xs) { xs.Sort(); return $"median {xs[xs.Count / 2]:F0} ms, max {xs[^1]:F0} ms"; }
    Console.WriteLine($"{view}: first render (navigation → data drawn) cold {Stats(cold)}; warm {Stats(warm)} ({runs} runs each)");
}
