using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// PostgreSQL stopped under a running api (its own throwaway cluster, scripts/local-postgres.sh, and the api as a child
/// process): every request that needs the database answers 503 unavailable with Retry-After — never a 500, never a
/// hang past the client's timeout — /readyz is 503 and /healthz 200; once PostgreSQL is back, requests succeed again
/// without restarting the api.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private const string AdminKey = "iaas_database-outage-test-key-0123456789";
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    private readonly string _workDir = Directory.CreateTempSubdirectory("iaas-outage-").FullName;
    private LocalCluster? _cluster;

    public async ValueTask InitializeAsync() => _cluster = await LocalCluster.StartAsync(_workDir);

    [Fact]
    public async Task Requests_Answer503WithRetryAfter_WhilePostgresIsDown_AndSucceedAgain_WhenItIsBack()
    {
        using var api = await ChildProcess.StartApiAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = _cluster!.ConnectionString,
            ["Iaas__BootstrapAdminKey"] = AdminKey,
            ["Iaas__MigrateOnStart"] = "true",
            ["Iaas__InProcessWorkers"] = "false",
        }, _workDir);
        var admin = Client(api, AdminKey);
        var tenantId = (await admin.PostOk("/v1/tenants", new { name = "outage" })).Id();
        var tenant = Client(api, (await admin.PostOk($"/v1/tenants/{tenantId}/api-keys", new { name = "k" })).Str("key"));
        await admin.PostOk("/v1/regions", new { name = "before" });
        var flooder = Client(api, (await admin.PostOk($"/v1/tenants/{tenantId}/api-keys", new { name = "flood" })).Str("key"));
        await flooder.GetJson("/v1/me");   // seen once: from now on its requests are metered before its lookup
        // Thirty at once: the pool holds as many live connections, which the stop kills.
        Assert.All(await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => tenant.GetAsync("/v1/regions"))),
            r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        await _cluster.StopAsync();

        // Twice each: the first may meet a pooled connection PostgreSQL closed, the second opens a new one (refused).
        for (var round = 0; round < 2; round++)
        {
            await ExpectUnavailableAsync(() => tenant.GetAsync("/v1/regions"));              // the key's lookup fails first
            await ExpectUnavailableAsync(() => admin.GetAsync("/v1/regions"));               // bootstrap key: the handler's query
            await ExpectUnavailableAsync(() => admin.PostAsJsonAsync("/v1/regions", new { name = $"during-{round}" }));   // + the audit
            await ExpectUnavailableAsync(() => tenant.GetAsync("/v1/instances"));
            await ExpectUnavailableAsync(() => admin.SendAsync(WithIdempotencyKey(new { name = "sg", policy = "affinity", tenantId }, "outage-1")));
        }
        // A known key over its budget (the default: burst 100 at 20/s) is refused before its lookup: 429, not 503.
        var flood = await Task.WhenAll(Enumerable.Range(0, 250).Select(_ => flooder.GetAsync("/v1/me")));
        Assert.All(flood, r => Assert.True(r.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests, $"{r.StatusCode}"));
        Assert.Contains(flood, r => r.StatusCode == HttpStatusCode.TooManyRequests);

        var readyz = await Timed(() => api.Client(null).GetAsync("/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
        Assert.NotNull(readyz.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await Timed(() => api.Client(null).GetAsync("/healthz"))).StatusCode);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"While PostgreSQL was down: {OutageLatenciesMs.Count} requests answered 503, in {OutageLatenciesMs.Max():F0} ms at most");

        Assert.Equal(_cluster.ConnectionString, await _cluster.StartAgainAsync());   // back on its port

        // Back without restarting the api: Npgsql dropped the pool's dead connections at the first failure, so the first
        // request after the start opens a new one.
        var back = Stopwatch.StartNew();
        var statuses = new List<HttpStatusCode>();
        do
        {
            statuses.Add((await Timed(() => tenant.GetAsync("/v1/regions"))).StatusCode);
            if (statuses[^1] != HttpStatusCode.OK) await Task.Delay(200);
        } while (statuses[^1] != HttpStatusCode.OK && back.Elapsed < TimeSpan.FromSeconds(20));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"Served again {back.Elapsed.TotalMilliseconds:F0} ms after PostgreSQL was started: {string.Join(", ", statuses.Select(s => (int)s))}");
        Assert.True(statuses is [HttpStatusCode.OK], $"Not served at once after the start: {string.Join(", ", statuses.Take(5))}…\n" +
            $"{Tail(_cluster.LogFile)}\n{Tail(api.Output())}");
        Assert.All(await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => tenant.GetAsync("/v1/regions"))),
            r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await admin.PostOk("/v1/regions", new { name = "after" });
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);
        // The failed attempts did not take the Idempotency-Key: the same request now runs, once.
        var created = await admin.SendAsync(WithIdempotencyKey(new { name = "sg", policy = "affinity", tenantId }, "outage-1"));
        await created.ExpectAsync(HttpStatusCode.Created);
        Assert.Single((await admin.GetJson($"/v1/server-groups?tenantId={tenantId}"))["items"]!.AsArray());
        // Nothing written while it was down: the regions before and after only.
        var regions = (await admin.GetJson("/v1/regions"))["items"]!.AsArray().Select(r => r!.Str("name")).ToList();
        Assert.Equal(new[] { "before", "after" }, regions);

        Assert.Null(api.ExitCode);
        Assert.DoesNotContain("Unhandled error", api.Output());
    }

    private static string Tail(string textOrFile)
    {
        var text = File.Exists(textOrFile) ? File.ReadAllText(textOrFile) : textOrFile;
        return text.Length > 3000 ? text[^3000..] : text;
    }

    private static HttpClient Client(ChildProcess api, string key)
    {
        var client = api.Client(key);
        client.Timeout = ClientTimeout;
        return client;
    }

    private static HttpRequestMessage WithIdempotencyKey(object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/server-groups") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    /// <summary>503 unavailable as problem+json with Retry-After, well within the client's timeout.</summary>
    private static async Task ExpectUnavailableAsync(Func<Task<HttpResponseMessage>> send)
    {
        var response = await Timed(send);
        await response.ExpectProblemAsync(HttpStatusCode.ServiceUnavailable, "unavailable");
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"Retry-After: {response.Headers.RetryAfter}");
    }

    private static readonly List<double> OutageLatenciesMs = [];

    private static async Task<HttpResponseMessage> Timed(Func<Task<HttpResponseMessage>> send)
    {
        var watch = Stopwatch.StartNew();
        var response = await send();   // HttpClient.Timeout (10 s) throws on a hang
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable) OutageLatenciesMs.Add(watch.Elapsed.TotalMilliseconds);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"{response.RequestMessage?.RequestUri} took {watch.Elapsed.TotalSeconds:F1} s.");
        return response;
    }

    /// <summary>scripts/local-postgres.sh start|stop on this test's cluster; start prints the connection string.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        try { Directory.Delete(_workDir, recursive: true); } catch (Exception) { }
    }
}
