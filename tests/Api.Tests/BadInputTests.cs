using System.Net;
using System.Net.Http.Json;
using System.Text;
using IaasApi.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Api.Tests;

/// <summary>Every class of bad input gets a 4xx problem+json and changes nothing.</summary>
public sealed class BadInputTests(ApiFactory api)
{
    private static readonly string TenKb = new('x', 10 * 1024);

    public static TheoryData<string, string, string> BadCatalogBodies() => new()
    {
        // path, body, the field the error must name (or "body")
        { "/v1/flavors", """{"name":"f","vcpus":0,"memoryMiB":512,"diskGiB":1}""", "vcpus" },
        { "/v1/flavors", """{"name":"f","vcpus":-1,"memoryMiB":512,"diskGiB":1}""", "vcpus" },
        { "/v1/flavors", """{"name":"f","vcpus":1,"memoryMiB":0,"diskGiB":1}""", "memoryMiB" },
        { "/v1/flavors", """{"name":"f","vcpus":1,"memoryMiB":512,"diskGiB":-5}""", "diskGiB" },
        { "/v1/flavors", """{"name":"f","vcpus":100000,"memoryMiB":512,"diskGiB":1}""", "vcpus" },
        { "/v1/flavors", """{"name":"f","vcpus":1,"memoryMiB":2147483647,"diskGiB":1}""", "memoryMiB" },
        { "/v1/flavors", """{"name":"f","vcpus":1,"memoryMiB":99999999999,"diskGiB":1}""", "memoryMiB" },
        { "/v1/flavors", """{"name":"f","vcpus":"4","memoryMiB":512,"diskGiB":1}""", "vcpus" },
        { "/v1/flavors", """{"name":"f","vcpus":1.5,"memoryMiB":512,"diskGiB":1}""", "vcpus" },
        { "/v1/flavors", """{"name":"f","vcpus":1,"memoryMiB":512,"diskGiB":1,"family":"gpu"}""", "family" },
        { "/v1/flavors", """{"name":"","vcpus":1,"memoryMiB":512,"diskGiB":1}""", "name" },
        { "/v1/flavors", """{"name":"has space","vcpus":1,"memoryMiB":512,"diskGiB":1}""", "name" },
        { "/v1/flavors", $$"""{"name":"{{TenKb}}","vcpus":1,"memoryMiB":512,"diskGiB":1}""", "name" },
        { "/v1/flavors", """{"name":"f","vcpus":1,"memoryMiB":512""", "body" },
        { "/v1/flavors", """[1,2,3]""", "body" },
        { "/v1/flavors", """null""", "body" },
        { "/v1/images", """{"name":"i","os":"linux","format":"vhdx","minDiskGiB":1}""", "format" },
        { "/v1/images", """{"name":"i","os":"linux","format":"raw","minDiskGiB":-1}""", "minDiskGiB" },
        { "/v1/regions", """{"name":5}""", "name" },
        { "/v1/regions", """{}""", "name" },
        { "/v1/zones", """{"name":"z"}""", "regionId" },
        { "/v1/zones", """{"name":"z","regionId":"not-a-guid"}""", "regionId" },
        { "/v1/hosts", """{"name":"Upper_Case","zoneId":"01a00000-0000-7000-8000-000000000001","hypervisor":"fake","capacity":{"vcpus":1,"memoryMiB":1,"diskGiB":1}}""", "name" },
        { "/v1/hosts", """{"name":"h","zoneId":"01a00000-0000-7000-8000-000000000001","hypervisor":"vmware","capacity":{"vcpus":1,"memoryMiB":1,"diskGiB":1}}""", "hypervisor" },
        { "/v1/hosts", """{"name":"h","zoneId":"01a00000-0000-7000-8000-000000000001","hypervisor":"fake","capacity":{"vcpus":0,"memoryMiB":1,"diskGiB":1}}""", "capacity.vcpus" },
        { "/v1/hosts", """{"name":"h","zoneId":"01a00000-0000-7000-8000-000000000001","hypervisor":"fake"}""", "capacity" },
        { "/v1/hosts", """{"name":"h","zoneId":"01a00000-0000-7000-8000-000000000001","hypervisor":"fake","capacity":{"vcpus":1,"memoryMiB":1,"diskGiB":1},"allocationRatios":{"cpu":0}}""", "allocationRatios.cpu" },
        { "/v1/sla-plans", """{"name":"p","priority":1001}""", "priority" },
        { "/v1/sla-plans", """{"name":"p","schemes":["sometimes"]}""", "schemes[0]" },
        { "/v1/sla-plans", """{"name":"p","schemes":[]}""", "schemes" },
        { "/v1/sla-plans", """{"name":"p","placementStrategy":"random"}""", "placementStrategy" },
        { "/v1/sla-plans", """{"name":"p","availabilityTarget":101}""", "availabilityTarget" },
        { "/v1/tenants", """{"name":"t","quotas":{"instances":-2}}""", "quotas.instances" },
    };

    [Theory]
    [MemberData(nameof(BadCatalogBodies))]
    public async Task Create_Returns400WithTheField_AndCreatesNothing(string path, string body, string field)
    {
        var admin = api.Admin();
        var before = await CountAsync();

        var response = await admin.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"expected an error on '{field}', got: {errors.ToJsonString()}");
        Assert.DoesNotContain("Exception", problem.ToJsonString());
        Assert.DoesNotContain("IaasApi.", problem.ToJsonString());
        Assert.Equal(before, await CountAsync());
    }

    private const string AnyId = "01a00000-0000-7000-8000-000000000001";

    public static TheoryData<string, string, string, string, string> BadEnumWords() => new()
    {
        // method, path, body, the field, the words its error must list
        { "POST", "/v1/server-groups", """{"name":"g","policy":"clustered"}""", "policy", "affinity, anti-affinity, soft-affinity, soft-anti-affinity" },
        { "POST", "/v1/server-groups", """{"name":"g","policy":3}""", "policy", "affinity, anti-affinity, soft-affinity, soft-anti-affinity" },
        { "POST", "/v1/images", """{"name":"i","os":"linux","format":"vhdx","minDiskGiB":1}""", "format", "qcow2, raw" },
        { "POST", "/v1/sla-plans", """{"name":"p","placementStrategy":"random"}""", "placementStrategy", "spread, pack" },
        { "POST", "/v1/sla-plans", """{"name":"p","schemes":["immediate","sometimes"]}""", "schemes[1]", "immediate, best-effort, reservation" },
        { "POST", "/v1/sla-plans", """{"name":"p","migrationPolicy":{"escalation":"panic"}}""", "migrationPolicy.escalation", "auto-converge, post-copy, abort" },
        { "POST", "/v1/flavors", """{"name":"f","vcpus":1,"memoryMiB":512,"diskGiB":1,"family":"gpu"}""", "family", "general, compute, memory" },
        { "POST", $"/v1/instances/{AnyId}/actions/migrate", """{"type":"teleport"}""", "type", "live, cold, storage" },
        { "POST", "/v1/reservations", """{"name":"r","onEnd":"explode"}""", "onEnd", "delete, stop, snapshot-then-delete" },
        { "POST", "/v1/instances", """{"name":"vm","scheme":"asap"}""", "scheme", "immediate, best-effort, reservation" },
        { "PATCH", $"/v1/hosts/{AnyId}", """{"state":"broken"}""", "state", "enabled, disabled, maintenance, down" },
        { "POST", $"/v1/instances/{AnyId}/actions/reset-state", """{"status":"fine"}""", "status", "pending, building, running" },
        { "POST", "/v1/simulation/faults", """{"operation":"explode"}""", "operation", "spawn" },
    };

    [Theory]
    [MemberData(nameof(BadEnumWords))]
    public async Task EnumField_Returns400NamingTheAllowedWords_WhenTheWordIsUnknown(string method, string path, string body, string field, string words)
    {
        var before = await CountAsync();

        var response = await api.Admin().SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        });

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        var message = problem["errors"]?[field]?[0]?.GetValue<string>();
        Assert.True(message is not null, $"expected an error on '{field}', got: {problem.ToJsonString()}");
        Assert.Contains(words, message);
        Assert.Contains(field, message);
        Assert.Equal(before, await CountAsync());
    }

    [Theory]
    [InlineData("[1,2,3]")]
    [InlineData("[]")]
    [InlineData("\"a string\"")]
    [InlineData("42")]
    [InlineData("null")]
    public async Task Body_Returns400SayingItMustBeAnObject_WhenItIsValidJsonOfAnotherKind(string body)
    {
        var before = await CountAsync();

        var response = await api.Admin().PostAsync("/v1/regions", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        var message = problem["errors"]!["body"]![0]!.GetValue<string>();
        Assert.Contains("must be a JSON object", message);
        Assert.DoesNotContain("not valid JSON", message);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Body_StillSaysNotValidJson_WhenItIsMalformed()
    {
        var response = await api.Admin().PostAsync("/v1/regions", new StringContent("""{"name": """, Encoding.UTF8, "application/json"));
        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Contains("not valid JSON", problem["errors"]!["body"]![0]!.GetValue<string>());
    }

    public static TheoryData<string> BadInstanceBodies() => new()
    {
        """{"name":"vm"}""",
        """{"name":"vm","flavorId":"x","imageId":"x","slaPlanId":"x"}""",
        """{"name":"vm","flavorId":5}""",
        $$"""{"name":"{{TenKb}}","flavorId":"01a00000-0000-7000-8000-000000000001","imageId":"01a00000-0000-7000-8000-000000000001","slaPlanId":"01a00000-0000-7000-8000-000000000001"}""",
        """{"name":"vm","flavorId":"01a00000-0000-7000-8000-000000000001","imageId":"01a00000-0000-7000-8000-000000000001","slaPlanId":"01a00000-0000-7000-8000-000000000001","count":0}""",
        """{"name":"vm","flavorId":"01a00000-0000-7000-8000-000000000001","imageId":"01a00000-0000-7000-8000-000000000001","slaPlanId":"01a00000-0000-7000-8000-000000000001","count":100000}""",
        """{"name":"vm","flavorId":"01a00000-0000-7000-8000-000000000001","imageId":"01a00000-0000-7000-8000-000000000001","slaPlanId":"01a00000-0000-7000-8000-000000000001","count":-3}""",
        """{"name":"vm",""",
        "",
    };

    [Theory]
    [MemberData(nameof(BadInstanceBodies))]
    public async Task CreateInstance_Returns400_ForMalformedOrOutOfRangeBodies(string body)
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var response = await tenant.PostAsync("/v1/instances", new StringContent(body, Encoding.UTF8, "application/json"));
        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Empty((await tenant.GetJson("/v1/instances"))["items"]!.AsArray());
    }

    [Fact]
    public async Task CreateInstance_Returns404_ForUnknownReferences_AndCreatesNothing()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var unknown = Guid.CreateVersion7();
        foreach (var body in new object[]
                 {
                     new { name = "vm", flavorId = unknown, imageId = cloud.ImageId, slaPlanId = cloud.PlanId },
                     new { name = "vm", flavorId = cloud.FlavorId, imageId = unknown, slaPlanId = cloud.PlanId },
                     new { name = "vm", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = unknown },
                     new { name = "vm", flavorId = cloud.FlavorId, imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = unknown },
                 })
        {
            var problem = await (await tenant.PostAsJsonAsync("/v1/instances", body)).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
            Assert.Contains(unknown.ToString(), problem.Str("detail"));
        }
        Assert.Empty((await tenant.GetJson("/v1/instances"))["items"]!.AsArray());
        Assert.Equal(0, (await api.Admin().GetJson($"/v1/tenants/{cloud.TenantId}"))["usage"]!["instances"]!.GetValue<int>());
    }

    [Fact]
    public async Task CreateInstance_Returns400_WhenTheImageNeedsMoreDiskThanTheFlavorHas()
    {
        var cloud = await api.SeedAsync(hosts: 1, flavorDiskGiB: 5);
        var big = await api.Admin().PostOk("/v1/images", new { name = TestCloud.Unique("image"), os = "win", format = "qcow2", minDiskGiB = 40 });
        var tenant = api.Client(cloud.TenantKey);
        var response = await tenant.PostAsJsonAsync("/v1/instances", new { name = "vm", flavorId = cloud.FlavorId, imageId = big.Id(), slaPlanId = cloud.PlanId });
        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.NotNull(problem["errors"]!["imageId"]);
    }

    [Theory]
    [InlineData("GET", "/v1/no-such-thing", HttpStatusCode.NotFound, "not-found")]
    [InlineData("GET", "/v1/instances/not-a-guid", HttpStatusCode.NotFound, "not-found")]
    [InlineData("PUT", "/v1/instances", HttpStatusCode.MethodNotAllowed, "method-not-allowed")]
    [InlineData("DELETE", "/v1/flavors", HttpStatusCode.MethodNotAllowed, "method-not-allowed")]
    [InlineData("GET", "/nothing-here", HttpStatusCode.NotFound, "not-found")]
    public async Task UnknownRoutesAndMethods_AreProblems(string method, string path, HttpStatusCode status, string slug)
    {
        var response = await api.Admin().SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await response.ExpectProblemAsync(status, slug);
    }

    [Fact]
    public async Task UnknownIds_Return404Problems()
    {
        var admin = api.Admin();
        var unknown = Guid.CreateVersion7();
        foreach (var path in new[] { "regions", "zones", "hosts", "flavors", "images", "sla-plans", "tenants", "instances", "operations" })
            await (await admin.GetAsync($"/v1/{path}/{unknown}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await admin.PostAsync($"/v1/instances/{unknown}/actions/stop", null)).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await admin.DeleteAsync($"/v1/flavors/{unknown}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await admin.PatchAsJsonAsync($"/v1/hosts/{unknown}", new { state = "disabled" })).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task UnknownAction_Returns404NamingTheActionsOfThatResource()
    {
        var admin = api.Admin();
        var id = Guid.CreateVersion7();

        var resize = await (await admin.PostAsync($"/v1/instances/{id}/actions/resize", null)).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Contains("resize", resize.Str("detail"));
        Assert.Equal(["migrate", "reboot", "reset-state", "restore", "start", "stop"], Actions(resize));
        foreach (var action in new[] { "start", "stop", "reboot", "reset-state", "restore", "migrate" }) Assert.Contains(action, resize.Str("detail"));

        var host = await (await admin.PostAsync($"/v1/hosts/{id}/actions/reboot", null)).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(["enter-maintenance", "exit-maintenance", "power-off", "power-on"], Actions(host));
        var migration = await (await admin.PostAsync($"/v1/migrations/{id}/actions/pause", null)).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(["cancel", "force-complete"], Actions(migration));
        var reservation = await (await admin.PostAsync($"/v1/reservations/{id}/actions/extend", null)).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Empty(Actions(reservation));
        Assert.Contains("take no actions", reservation.Str("detail"));

        // A tenant is told only the actions it may call.
        var (_, tenantKey) = await api.NewTenantAsync();
        var tenant = await (await api.Client(tenantKey).PostAsync($"/v1/instances/{id}/actions/resize", null)).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(["reboot", "restore", "start", "stop"], Actions(tenant));

        static string[] Actions(System.Text.Json.Nodes.JsonObject problem) =>
            problem["actions"]!.AsArray().Select(a => a!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();
    }

    [Fact]
    public async Task KnownActions_StillReachTheirRoutes()
    {
        var unknown = Guid.CreateVersion7();
        var problem = await (await api.Admin().PostAsync($"/v1/instances/{unknown}/actions/stop", null)).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Null(problem["actions"]);                                                    // the instance is missing, not the action
        Assert.Contains(unknown.ToString(), problem.Str("detail"));
        await (await api.Admin().GetAsync($"/v1/instances/{unknown}/actions/stop")).ExpectProblemAsync(HttpStatusCode.MethodNotAllowed, "method-not-allowed");
    }

    [Fact]
    public async Task NonJsonBody_Returns415()
    {
        var before = await CountAsync();
        var response = await api.Admin().PostAsync("/v1/regions", new StringContent("name=r1", Encoding.UTF8, "application/x-www-form-urlencoded"));
        await response.ExpectProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task BodyOver1MiB_Returns413_WithOrWithoutContentLength()
    {
        var before = await CountAsync();
        var big = $$"""{"name":"r","padding":"{{new string('x', 1024 * 1024)}}"}""";
        var sized = await api.Admin().PostAsync("/v1/regions", new StringContent(big, Encoding.UTF8, "application/json"));
        await sized.ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload-too-large");

        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/regions") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await (await api.Admin().SendAsync(request)).ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task UnknownJsonFields_AreIgnored()
    {
        var response = await api.Admin().PostAsync("/v1/regions",
            new StringContent("{\"name\":\"" + TestCloud.Unique("region") + "\",\"color\":\"blue\",\"nested\":{\"a\":1}}", Encoding.UTF8, "application/json"));
        await response.ExpectAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task NoRequest_ProducesA500_DuringTheRun()
    {
        // A last line of defence for this file's matrix: nothing above may have logged an unhandled error.
        Assert.DoesNotContain(api.Errors.Entries, e => e.Contains("Unhandled error", StringComparison.Ordinal));
        await Task.CompletedTask;
    }

    private Task<int> CountAsync() => api.WithDbAsync(async db =>
        await db.Flavors.CountAsync() + await db.Images.CountAsync() + await db.Regions.CountAsync() + await db.Zones.CountAsync()
        + await db.Hosts.CountAsync() + await db.SlaPlans.CountAsync() + await db.Tenants.CountAsync() + await db.Instances.CountAsync());
}
