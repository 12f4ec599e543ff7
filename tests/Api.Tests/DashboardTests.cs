using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using Microsoft.Playwright;

namespace IaasApi.Api.Tests;

/// <summary>
/// The dashboard in a real browser (Debian's Chromium driven by Playwright) against the Api as the README runs it —
/// embedded mode, its own process on a real Kestrel socket, the demo cloud — plus some instances, a reservation and a
/// live migration made through the REST API: sign in with the printed key, every view renders with data, a filter
/// narrows the table, a migration's progress moves on screen, a tenant key cannot see another tenant's instance, and
/// the keyboard gets everywhere. Screenshots of each view go to artifacts/dashboard/ (IAAS_DASHBOARD_SCREENSHOTS to put
/// them elsewhere, e.g. docs/screenshots). Skipped, saying why, without /usr/bin/chromium.
/// </summary>
public sealed class DashboardTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly string _workDir = Directory.CreateTempSubdirectory("iaas-dashboard-").FullName;
    private readonly string _shots = Environment.GetEnvironmentVariable("IAAS_DASHBOARD_SCREENSHOTS") ?? Path.Combine(ChildProcess.RepoRoot() ?? Path.GetTempPath(), "artifacts", "dashboard");
    private ChildProcess? _api;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Chromium)) return;
        _api = await ChildProcess.StartApiAsync(new Dictionary<string, string>
        {
            ["Iaas__DataDirectory"] = Path.Combine(_workDir, "data"),
            ["Iaas__FakeDriver__SpawnMilliseconds"] = "50",
        }, _workDir);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic"],
        });
    }

    [Fact]
    public async Task AnOperatorAndATenant_SeeTheCloudThroughTheDashboard_InARealBrowser()
    {
        Assert.SkipUnless(File.Exists(Chromium), $"Skipped: no Chromium at {Chromium} (apt-get install chromium; .ci/run installs it).");
        var adminKey = (await File.ReadAllTextAsync(Path.Combine(_workDir, "data", "admin-key"))).Trim();
        var tenantKey = (await File.ReadAllTextAsync(Path.Combine(_workDir, "data", "demo-tenant-key"))).Trim();
        var admin = _api!.Client(adminKey);
        var tenant = _api.Client(tenantKey);
        var (mine, stoppedOne, migrating, secret) = await SeedAsync(admin, tenant);

        var page = await _browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1360, Height = 900 } });
        page.SetDefaultTimeout(20_000);
        Assertions.SetDefaultExpectTimeout(20_000);
        var failures = new List<string>();                                      // every request the page made that failed
        page.Response += (_, r) => { if (r.Status >= 400) failures.Add($"{r.Status} {r.Request.Method} {new Uri(r.Url).PathAndQuery}"); };

        // Signing in with the printed admin key; the key stays in the session, never in the URL.
        await page.GotoAsync($"{_api.BaseUrl}/dashboard/");
        await page.GetByLabel("API key").FillAsync("iaas_not-a-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not valid");
        await page.GetByLabel("API key").FillAsync(adminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ReadyAsync(page, "overview");
        Assert.DoesNotContain(adminKey, page.Url);
        Assert.Equal(adminKey, await page.EvaluateAsync<string>("() => sessionStorage.getItem('iaas.apiKey')"));
        await Assertions.Expect(page.Locator("#zones-table")).ToContainTextAsync("zone-a");
        await Assertions.Expect(page.Locator("#zones-table tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#capacity-chart canvas").First).ToBeVisibleAsync();
        await ShotAsync(page, "overview");

        // Hosts: the heatmap and the sortable table (sorted by the most used resource, then back).
        await page.GetByRole(AriaRole.Link, new() { Name = "Hosts", Exact = true }).ClickAsync();
        await ReadyAsync(page, "hosts");
        await Assertions.Expect(page.Locator("#heatmap canvas").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#host-table tbody tr")).ToHaveCountAsync(5);
        await page.GetByRole(AriaRole.Button, new() { Name = "Most used %" }).ClickAsync();
        await Assertions.Expect(page.Locator("th[aria-sort=ascending]")).ToContainTextAsync("Most used");
        Assert.Contains("sort=most", page.Url);                                   // shareable: the sort is in the URL
        await ShotAsync(page, "hosts");
        await page.Locator("#host-table tbody tr a").First.ClickAsync();
        await ReadyAsync(page, "host");
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Host compute-");
        await ShotAsync(page, "host");

        // Instances: every one, then a filter narrows the table; the filter lives in the URL and survives a refresh.
        await page.GetByRole(AriaRole.Link, new() { Name = "Instances", Exact = true }).ClickAsync();
        await ReadyAsync(page, "instances");
        await Assertions.Expect(page.Locator("#instance-table tbody tr")).ToHaveCountAsync(mine.Count + 1);
        await page.GetByLabel("Status").SelectOptionAsync("stopped");
        await Assertions.Expect(page.Locator("#instance-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#instance-table tbody")).ToContainTextAsync("stopped");
        Assert.Contains("status=stopped", page.Url);
        await page.WaitForTimeoutAsync(5500);                                     // one auto-refresh later: still filtered
        await Assertions.Expect(page.Locator("#instance-table tbody tr")).ToHaveCountAsync(1);
        await ShotAsync(page, "instances");
        await page.Locator("#instance-table tbody tr a").First.ClickAsync();
        await ReadyAsync(page, "instance");
        await Assertions.Expect(page.Locator("#trail")).ToContainTextAsync("running → stopping");
        await Assertions.Expect(page.Locator("#operations")).ToContainTextAsync("instance.stop");
        await ShotAsync(page, "instance");

        // Reservations: the Gantt chart of the zone and its table, the queue.
        await page.GetByRole(AriaRole.Link, new() { Name = "Reservations", Exact = true }).ClickAsync();
        await ReadyAsync(page, "reservations");
        await Assertions.Expect(page.Locator("#gantt canvas").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#reservation-table")).ToContainTextAsync("nightly-batch");
        await ShotAsync(page, "reservations");

        // Migrations: the live one's progress moves on the list and on its detail, with its stages and rounds charted.
        var migration = await (await admin.PostAsJsonAsync($"/v1/instances/{migrating}/actions/migrate", new { type = "live", bandwidthMbps = 1000 }))
            .ExpectAsync(HttpStatusCode.Accepted);
        await page.GetByRole(AriaRole.Link, new() { Name = "Migrations", Exact = true }).ClickAsync();
        await ReadyAsync(page, "migrations");
        var row = page.Locator($"tr[data-migration='{migration.Id()}']");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await ShotAsync(page, "migrations");
        await row.Locator("a").ClickAsync();
        await ReadyAsync(page, "migration");
        var bar = page.Locator("#migration [role=progressbar]");
        var first = int.Parse((await bar.GetAttributeAsync("aria-valuenow"))!);
        await Assertions.Expect(page.Locator("#rounds-chart canvas").First).ToBeVisibleAsync();
        var moved = first;
        for (var i = 0; i < 40 && moved == first; i++)
        {
            await page.WaitForTimeoutAsync(500);
            moved = int.Parse((await bar.GetAttributeAsync("aria-valuenow"))!);
        }
        output.WriteLine($"migration progress on screen: {first} % → {moved} %");
        Assert.True(moved > first, $"The progress shown stayed at {first} %.");
        await ShotAsync(page, "migration");
        await Assertions.Expect(page.Locator("#migration")).ToContainTextAsync("completed", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#stages-table")).ToContainTextAsync("activation");
        await ShotAsync(page, "migration-completed");

        // The keyboard: from the top of a page, the skip link first, then the navigation.
        await page.ReloadAsync();
        await ReadyAsync(page, "migration");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("skip", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.PressAsync("Enter");
        Assert.Equal("main", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Locator("nav a", new() { HasTextString = "Overview" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await ReadyAsync(page, "overview");

        // A tenant: its own instances only; another tenant's is not found, even by its URL.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('iaas.apiKey')"));
        await page.GetByLabel("API key").FillAsync(tenantKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ReadyAsync(page, "overview");
        await Assertions.Expect(page.Locator("nav")).Not.ToContainTextAsync("Hosts");
        await page.GotoAsync($"{_api.BaseUrl}/dashboard/#/instances");
        await ReadyAsync(page, "instances");
        await Assertions.Expect(page.Locator("#instance-table tbody tr")).ToHaveCountAsync(mine.Count);
        await Assertions.Expect(page.Locator("#instance-table")).Not.ToContainTextAsync("secret-vm");
        await ShotAsync(page, "tenant-instances");
        await page.GotoAsync($"{_api.BaseUrl}/dashboard/#/instances/{secret}");
        await Assertions.Expect(page.Locator(".error")).ToContainTextAsync("404");
        await Assertions.Expect(page.Locator("main")).Not.ToContainTextAsync("secret-vm");
        // The only failed requests: the wrong key (401) and the other tenant's instance (404).
        output.WriteLine(string.Join("\n", failures));
        Assert.All(failures, f => Assert.Matches(@"^(401 GET /v1/me|404 GET /v1/(instances|operations|snapshots).*" + secret + ")", f));
        Assert.NotEqual(Guid.Empty, stoppedOne);
    }

    /// <summary>Instances of the demo tenant (one stopped), another tenant's, a reservation, a guest slow to migrate.</summary>
    private async Task<(List<Guid> Mine, Guid Stopped, Guid Migrating, Guid Secret)> SeedAsync(HttpClient admin, HttpClient tenant)
    {
        async Task<Guid> IdOf(HttpClient c, string path) => (await c.GetJson(path))["items"]!.AsArray()[0]!.Id();
        var small = await IdOf(tenant, "/v1/flavors?name=small");
        var debian = await IdOf(tenant, "/v1/images?name=debian-12");
        var silver = await IdOf(tenant, "/v1/sla-plans?name=silver");
        var zone = await IdOf(tenant, "/v1/zones?name=zone-a");
        var mine = new List<Guid>();
        foreach (var name in new[] { "web-1", "web-2", "db-1" })
            mine.Add((await (await tenant.PostAsJsonAsync("/v1/instances", new { name, flavorId = small, imageId = debian, slaPlanId = silver, zoneId = zone }))
                .ExpectAsync(HttpStatusCode.Accepted)).Id());
        foreach (var id in mine) await tenant.WaitForStatusAsync(id, "running");
        (await tenant.PostAsync($"/v1/instances/{mine[2]}/actions/stop", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(mine[2], "stopped");

        var other = await admin.PostOk("/v1/tenants", new { name = "other-tenant" });
        var otherKey = (await admin.PostOk($"/v1/tenants/{other.Id()}/api-keys", new { name = "k" }))["key"]!.GetValue<string>();
        using var otherClient = _api!.Client(otherKey);
        var secret = (await (await otherClient.PostAsJsonAsync("/v1/instances", new { name = "secret-vm", flavorId = small, imageId = debian, slaPlanId = silver }))
            .ExpectAsync(HttpStatusCode.Accepted)).Id();
        await otherClient.WaitForStatusAsync(secret, "running");

        await (await tenant.PostAsJsonAsync("/v1/reservations", new
        {
            name = "nightly-batch", flavorId = small, count = 2, zoneId = zone, slaPlanId = silver,
            start = DateTimeOffset.UtcNow.AddHours(2), end = DateTimeOffset.UtcNow.AddHours(6),
        })).ExpectAsync(HttpStatusCode.Created);
        // A guest with 2 GiB written, at 1,000 Mbit/s: its migration takes about 20 s, long enough to watch.
        (await admin.PutAsJsonAsync($"/v1/simulation/instances/{mine[0]}/guest-memory", new { touchedMiB = 2048, workingSetMiB = 16, dirtyRateMiBps = 4 }))
            .EnsureSuccessStatusCode();
        return (mine, mine[2], mine[0], secret);
    }

    /// <summary>
    /// Waits for the view's data on screen (20 s: the whole suite shares two cores with the Api's process and the
    /// browser); on failure, says what the page shows instead.
    /// </summary>
    private static async Task ReadyAsync(IPage page, string view)
    {
        try
        {
            await Assertions.Expect(page.Locator($"main[data-ready='{view}']")).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        }
        catch (PlaywrightException e)
        {
            var shown = await page.EvaluateAsync<string>("() => `${location.hash} ready=${document.querySelector('main')?.dataset.ready} | ${document.querySelector('main')?.innerText.slice(0, 600)}`");
            throw new InvalidOperationException($"The '{view}' view did not render: {shown}", e);
        }
    }

    private async Task ShotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(_shots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_shots, $"{name}.png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        _api?.Dispose();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }
}
