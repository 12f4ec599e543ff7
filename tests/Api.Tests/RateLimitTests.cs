using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// An api process with small budgets (the shared in-process factory's are generous: the other tests poll and race), on
/// the shared test database and without a Hangfire server of its own (the factory's runs whatever it enqueues).
/// </summary>
public sealed class LimitedApi(ApiFactory api) : IAsyncLifetime
{
    public const int TenantBurst = 10;
    public const int TenantMutationBurst = 3;

    private readonly string _workDir = Directory.CreateTempSubdirectory("iaas-ratelimit-").FullName;
    private ChildProcess? _process;

    public ChildProcess Process => _process ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync() => _process = await ChildProcess.StartApiAsync(new Dictionary<string, string>
    {
        ["ConnectionStrings__Postgres"] = api.ConnectionString,
        ["Iaas__BootstrapAdminKey"] = ApiFactory.AdminKey,
        ["Iaas__InProcessWorkers"] = "false",
        ["Iaas__RateLimits__TenantPermitsPerSecond"] = "1",
        ["Iaas__RateLimits__TenantBurst"] = TenantBurst.ToString(),
        ["Iaas__RateLimits__TenantMutationsPerSecond"] = "1",
        ["Iaas__RateLimits__TenantMutationBurst"] = TenantMutationBurst.ToString(),
        ["Iaas__RateLimits__AdminPermitsPerSecond"] = "1000",
        ["Iaas__RateLimits__AdminBurst"] = "1000",
        ["Iaas__RateLimits__AnonymousPermitsPerSecond"] = "1",
        ["Iaas__RateLimits__AnonymousBurst"] = "2",
    }, _workDir);

    public ValueTask DisposeAsync()
    {
        _process?.Dispose();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}

/// <summary>Iaas:RateLimits: token buckets per API key, 429 rate-limited with Retry-After, nothing changed by a refusal.</summary>
public sealed class RateLimitTests(ApiFactory api, LimitedApi limited) : IClassFixture<LimitedApi>
{
    [Fact]
    public async Task Flood_Returns429WithRetryAfter_WhileAnotherTenantAndTheAdminAreServed()
    {
        var (_, floodKey) = await api.NewTenantAsync();
        var (_, quietKey) = await api.NewTenantAsync();
        var flooder = limited.Process.Client(floodKey);
        var quiet = limited.Process.Client(quietKey);
        var admin = limited.Process.Client(ApiFactory.AdminKey);

        // Tenant A: 60 concurrent reads against a burst of 10 at 1/s; meanwhile tenant B reads, one at a time.
        var flood = Task.WhenAll(Enumerable.Range(0, 60).Select(_ => flooder.GetAsync("/v1/me")));
        var quietStatuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++) quietStatuses.Add((await quiet.GetAsync("/v1/me")).StatusCode);
        var responses = await flood;

        var served = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(60, served + refused.Count);
        Assert.InRange(served, LimitedApi.TenantBurst, LimitedApi.TenantBurst + 5);   // the burst, and what refilled meanwhile
        Assert.All(quietStatuses, s => Assert.Equal(HttpStatusCode.OK, s));
        foreach (var response in refused)
        {
            var problem = await response.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate-limited");
            Assert.Contains("retry after", problem.Str("detail"));
            Assert.InRange(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 10);   // whole seconds, from the bucket
        }

        // The admin key has its own, larger budget.
        var adminResponses = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => admin.GetAsync("/v1/me")));
        Assert.All(adminResponses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        // Waiting as long as Retry-After says is enough.
        await Task.Delay(refused[^1].Headers.RetryAfter!.Delta!.Value);
        Assert.Equal(HttpStatusCode.OK, (await flooder.GetAsync("/v1/me")).StatusCode);

        // The same flood under the shared factory's configuration (generous budgets) is served in full.
        var generous = api.Client(floodKey);
        var all = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => generous.GetAsync("/v1/me")));
        Assert.All(all, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    [Fact]
    public async Task Mutations_HaveASmallerBudget_AndARefusedOneChangesNothing()
    {
        var (tenantId, key) = await api.NewTenantAsync();
        var tenant = limited.Process.Client(key);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await tenant.PostAsJsonAsync("/v1/server-groups", new { name = TestCloud.Unique("sg"), policy = "anti-affinity" });
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                await response.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate-limited");
        }
        var created = statuses.Count(s => s == HttpStatusCode.Created);
        Assert.InRange(created, LimitedApi.TenantMutationBurst, LimitedApi.TenantMutationBurst + 2);
        Assert.Equal(8 - created, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // Reads have their own budget, which the refused writes did not spend.
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/v1/server-groups")).StatusCode);

        // Nothing changed by a refusal: only the accepted groups exist, and only they are in the audit trail.
        var admin = api.Admin();
        Assert.Equal(created, (await admin.GetJson($"/v1/server-groups?tenantId={tenantId}"))["items"]!.AsArray().Count);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        JsonArray audited;
        do
        {
            audited = (await admin.GetJson($"/v1/audit-events?tenantId={tenantId}&limit=100"))["items"]!.AsArray();
            if (audited.Count >= created) break;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Equal(created, audited.Count);
        Assert.All(audited, e => Assert.Equal(201, e!["statusCode"]!.GetValue<int>()));
    }

    [Fact]
    public async Task HealthChecks_AreNeverLimited_WhileAnonymousRequestsAre()
    {
        var anonymous = limited.Process.Client(null);
        foreach (var path in new[] { "/healthz", "/readyz" })
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => anonymous.GetAsync(path)));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        }
        // Without a key, the budget is the remote address's (2, at 1/s): a burst of unauthenticated calls meets it.
        var unauthenticated = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => anonymous.GetAsync("/v1/me")));
        Assert.Contains(unauthenticated, r => r.StatusCode == HttpStatusCode.Unauthorized);
        var limitedOne = unauthenticated.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        await limitedOne.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.NotNull(limitedOne.Headers.RetryAfter);
    }
}
