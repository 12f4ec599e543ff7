using IaasApi.Infrastructure.Persistence;
using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Http;
using IaasApi.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Api.Tests;

/// <summary>Idempotency-Key on POST: replay, reuse with another body, and in-flight (API.md).</summary>
public sealed class IdempotencyTests(ApiFactory api)
{
    [Fact]
    public async Task Create_ReplaysTheOriginalResponse_WhenTheSameKeyAndBodyRepeat()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var body = cloud.CreateBody("idem-1");
        var key = Guid.NewGuid().ToString();

        var first = await Send(tenant, body, key);
        var firstBody = await first.Content.ReadAsStringAsync();
        var second = await Send(tenant, body, key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(firstBody, await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        var instances = await tenant.GetJson("/v1/instances?name=idem-1");
        Assert.Single(instances["items"]!.AsArray());                                     // created once
    }

    [Fact]
    public async Task Create_Returns422_WhenTheKeyIsReusedWithAnotherBody()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var key = Guid.NewGuid().ToString();
        (await Send(tenant, cloud.CreateBody("idem-a"), key)).EnsureSuccessStatusCode();

        var reused = await Send(tenant, cloud.CreateBody("idem-b"), key);

        await reused.ExpectProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        Assert.Empty((await tenant.GetJson("/v1/instances?name=idem-b"))["items"]!.AsArray());
    }

    [Fact]
    public async Task Create_IsReplayed_WhenTheSameJsonIsSentReserialised()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var key = Guid.NewGuid().ToString();
        var compact = $$"""{"name":"idem-json","flavorId":"{{cloud.FlavorId}}","imageId":"{{cloud.ImageId}}","slaPlanId":"{{cloud.PlanId}}","zoneId":"{{cloud.ZoneId}}","count":1}""";
        var reordered = $$"""
            {
              "zoneId" : "{{cloud.ZoneId}}",   "count": 1,
              "slaPlanId": "{{cloud.PlanId}}",
                "imageId":"{{cloud.ImageId}}",  "flavorId" :"{{cloud.FlavorId}}",
              "name": "idem\u002djson"
            }
            """;

        var first = await SendRaw(tenant, "/v1/instances", compact, key);
        var firstBody = await first.Content.ReadAsStringAsync();
        var again = await SendRaw(tenant, "/v1/instances", reordered, key);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, again.StatusCode));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(firstBody, await again.Content.ReadAsStringAsync());
        Assert.Single((await tenant.GetJson("/v1/instances?name=idem-json"))["items"]!.AsArray());

        // Another meaning is still another request.
        var other = await SendRaw(tenant, "/v1/instances", compact.Replace("\"count\":1", "\"count\":2"), key);
        await other.ExpectProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
    }

    [Fact]
    public async Task CatalogCreate_IsReplayed_WhenNumbersAreWrittenAnotherWay()
    {
        var admin = api.Admin();
        var key = Guid.NewGuid().ToString();
        var name = TestCloud.Unique("plan");
        var first = await SendRaw(admin, "/v1/sla-plans", $$"""{"name":"{{name}}","availabilityTarget":99.9,"pricePerHour":0.1,"penaltyPercent":10}""", key);
        var again = await SendRaw(admin, "/v1/sla-plans", $$"""{"penaltyPercent":1e1,"pricePerHour":0.10,"availabilityTarget":99.90,"name":"{{name}}"}""", key);

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (first.StatusCode, again.StatusCode));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Headers.Location, again.Headers.Location);
    }

    [Fact]
    public async Task Create_Returns409InFlight_WhileTheFirstRequestIsProcessing()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var key = Guid.NewGuid().ToString();
        var body = cloud.CreateBody("idem-inflight");
        // Arrange the moment between the first request claiming the key and finishing: its row exists, not completed.
        var hash = await HashOfAsync(body);
        await api.WithDbAsync(async db =>
        {
            db.IdempotencyRecords.Add(new IdempotencyRecord { Scope = $"tenant:{cloud.TenantId}", Key = key, RequestHash = hash, CreatedAt = api.Clock.GetUtcNow() });
            return await db.SaveChangesAsync();
        });

        var response = await Send(tenant, body, key);

        await response.ExpectProblemAsync(HttpStatusCode.Conflict, "idempotency-key-in-flight");
        Assert.Empty((await tenant.GetJson("/v1/instances?name=idem-inflight"))["items"]!.AsArray());
    }

    [Fact]
    public async Task ConcurrentRepeats_CreateExactlyOneInstance()
    {
        var cloud = await api.SeedAsync(hosts: 2);
        var tenant = api.Client(cloud.TenantKey);
        var key = Guid.NewGuid().ToString();
        var body = cloud.CreateBody("idem-burst");

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Send(tenant, body, key)));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict, r.StatusCode.ToString()));
        Assert.Single((await tenant.GetJson("/v1/instances?name=idem-burst"))["items"]!.AsArray());
    }

    [Fact]
    public async Task RefusedRequest_IsReplayedToo_WhileANewKeyRunsAgain()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostMemoryMiB: 2048, flavorMemoryMiB: 4096);   // does not fit
        var tenant = api.Client(cloud.TenantKey);
        var key = Guid.NewGuid().ToString();
        var body = cloud.CreateBody("idem-retry");
        var first = await Send(tenant, body, key);
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Conflict, first.StatusCode);

        await api.Admin().PatchAsJsonAsync($"/v1/hosts/{cloud.HostIds[0]}", new { allocationRatios = new { memory = 4.0 } });

        var replay = await Send(tenant, body, key);                                         // the original answer, as API.md says
        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        Assert.Equal(firstBody, await replay.Content.ReadAsStringAsync());
        (await Send(tenant, body, Guid.NewGuid().ToString())).EnsureSuccessStatusCode();    // a new attempt is a new key
    }

    [Fact]
    public async Task Create_RunsOnce_EvenWhenTheStoredResponseIsLost()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var key = Guid.NewGuid().ToString();
        var body = cloud.CreateBody("idem-lost");
        var first = await (await Send(tenant, body, key)).ExpectAsync(HttpStatusCode.Accepted);
        // The process died after committing the instance but before keeping the response (or the client gave up
        // and the claim was released): the replay record is gone.
        await api.WithDbAsync(db => db.IdempotencyRecords.ExecuteDeleteAsync());

        var again = await (await Send(tenant, body, key)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.Equal(first.Id(), again.Id());
        Assert.Single((await tenant.GetJson("/v1/instances?name=idem-lost"))["items"]!.AsArray());

        await api.WithDbAsync(db => db.IdempotencyRecords.ExecuteDeleteAsync());
        await (await Send(tenant, cloud.CreateBody("idem-other"), key)).ExpectProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
    }

    [Fact]
    public async Task ClientToken_MakesACreateExactlyOnce_WithoutAnIdempotencyKey()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var token = $"ct-{Guid.NewGuid():N}";
        var body = ClientTokenBody(cloud, "ct-once", token);

        var first = await (await tenant.PostAsJsonAsync("/v1/instances", body)).ExpectAsync(HttpStatusCode.Accepted);
        var again = await (await tenant.PostAsJsonAsync("/v1/instances", body)).ExpectAsync(HttpStatusCode.Accepted);

        Assert.Equal(first.Id(), again.Id());
        Assert.Single((await tenant.GetJson("/v1/instances?name=ct-once"))["items"]!.AsArray());
        Assert.Equal(1, (await api.Admin().GetJson($"/v1/tenants/{cloud.TenantId}"))["usage"]!["instances"]!.GetValue<int>());

        // The same token with another request is refused; the same token from another tenant is another token.
        var reused = await tenant.PostAsJsonAsync("/v1/instances", ClientTokenBody(cloud, "ct-other", token));
        Assert.Contains("clientToken", (await reused.ExpectProblemAsync(HttpStatusCode.UnprocessableEntity, "idempotency-key-reused")).Str("detail"));
        Assert.Empty((await tenant.GetJson("/v1/instances?name=ct-other"))["items"]!.AsArray());
        var (_, otherKey) = await api.NewTenantAsync(new { instances = -1, vcpus = -1, memoryMiB = -1 });
        var theirs = await (await api.Client(otherKey).PostAsJsonAsync("/v1/instances", body)).ExpectAsync(HttpStatusCode.Accepted);
        Assert.NotEqual(first.Id(), theirs.Id());
    }

    [Fact]
    public async Task ClientToken_MakesExactlyOneInstance_WhenEightCreatesRace()
    {
        var cloud = await api.SeedAsync(hosts: 2);
        var tenant = api.Client(cloud.TenantKey);
        var body = ClientTokenBody(cloud, "ct-race", $"ct-{Guid.NewGuid():N}");
        var errorsBefore = api.Errors.Entries.Count;

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => tenant.PostAsJsonAsync("/v1/instances", body)));

        var ids = new List<Guid>();
        foreach (var response in responses) ids.Add((await response.ExpectAsync(HttpStatusCode.Accepted)).Id());
        Assert.Single(ids.Distinct());
        Assert.Single((await tenant.GetJson("/v1/instances?name=ct-race"))["items"]!.AsArray());
        Assert.Equal(1, (await api.Admin().GetJson($"/v1/tenants/{cloud.TenantId}"))["usage"]!["instances"]!.GetValue<int>());
        Assert.DoesNotContain(api.Errors.Entries.Skip(errorsBefore), e => e.Contains("client_token", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("with\ttab")]
    [InlineData("ünicode")]
    [InlineData("x12345678901234567890123456789012345678901234567890123456789012345")]
    public async Task ClientToken_Returns400_WhenItIsNot1To64PrintableAsciiCharacters(string token)
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var problem = await (await tenant.PostAsJsonAsync("/v1/instances", ClientTokenBody(cloud, "ct-bad", token)))
            .ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem["errors"]!["clientToken"]);
        Assert.Empty((await tenant.GetJson("/v1/instances?name=ct-bad"))["items"]!.AsArray());
    }

    [Fact]
    public async Task RepeatsAndRaces_AreNotLoggedAsErrors()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var key = Guid.NewGuid().ToString();
        var errorsBefore = api.Errors.Entries.Count;

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Send(tenant, cloud.CreateBody("idem-quiet"), key)));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict, r.StatusCode.ToString()));
        Assert.DoesNotContain(api.Errors.Entries.Skip(errorsBefore), e => e.Contains("idempotency_records", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApiKeyCreation_IsNeverReplayedWithItsSecret()
    {
        var admin = api.Admin();
        var tenant = await admin.PostOk("/v1/tenants", new { name = TestCloud.Unique("tenant") });
        var key = Guid.NewGuid().ToString();
        var first = await Post(admin, $"/v1/tenants/{tenant.Id()}/api-keys", new { name = "deploy" }, key);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        var replay = await Post(admin, $"/v1/tenants/{tenant.Id()}/api-keys", new { name = "deploy" }, key);

        var problem = await replay.ExpectProblemAsync(HttpStatusCode.Conflict, "conflict");
        Assert.DoesNotContain("iaas_", problem.ToJsonString());
        Assert.Single((await admin.GetJson($"/v1/tenants/{tenant.Id()}/api-keys"))["items"]!.AsArray());
    }

    [Fact]
    public async Task Keys_ArePerCaller()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var (_, otherKey) = await api.NewTenantAsync();
        var key = Guid.NewGuid().ToString();
        (await Post(api.Admin(), "/v1/regions", new { name = TestCloud.Unique("region") }, key)).EnsureSuccessStatusCode();

        // The same key from another caller is a different request, not a reuse.
        var response = await Send(api.Client(cloud.TenantKey), cloud.CreateBody(), key);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.NotNull(otherKey);
    }

    [Fact]
    public async Task Key_LongerThan255Characters_Returns400()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var response = await Send(api.Client(cloud.TenantKey), cloud.CreateBody(), new string('k', 256));
        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, object body, string key) => Post(client, "/v1/instances", body, key);

    private static Task<HttpResponseMessage> Post(HttpClient client, string path, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    private static object ClientTokenBody(Cloud c, string name, string clientToken) =>
        new { name, flavorId = c.FlavorId, imageId = c.ImageId, slaPlanId = c.PlanId, zoneId = c.ZoneId, clientToken };

    private static Task<HttpResponseMessage> SendRaw(HttpClient client, string path, string json, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    private static async Task<string> HashOfAsync(object body) =>
        IdempotencyMiddleware.Hash("POST", "/v1/instances", await JsonContent.Create(body).ReadAsByteArrayAsync());
}
