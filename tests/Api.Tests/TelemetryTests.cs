using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// What an operator's Prometheus scrapes at /metrics (admin key): the control plane's own meters after real work —
/// placements and refusals by filter, operation durations by kind, migration downtime, the queue's depth, hosts by
/// state — beside ASP.NET Core's; and a caller's traceparent continued into the problem's traceId.
/// </summary>
public sealed partial class TelemetryTests(ApiFactory api)
{
    [Fact]
    public async Task Metrics_ShowPlacements_Refusals_Operations_Migrations_Queue_AndHosts()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Client(null).GetAsync("/metrics")).StatusCode);
        var cloud = await api.SeedAsync(hosts: 2, hostVcpus: 4);
        var tenant = api.Client(cloud.TenantKey);
        var vm = await tenant.CreateInstanceAsync(cloud);
        await tenant.WaitForStatusAsync(vm.Id(), "running");
        // Too big for any host: refused by the vcpus filter.
        var big = await api.Admin().PostOk("/v1/flavors", new { name = TestCloud.Unique("huge"), vcpus = 64, memoryMiB = 1024, diskGiB = 1 });
        var refused = await tenant.PostAsJsonAsync("/v1/instances",
            new { name = "huge", flavorId = big.Id(), imageId = cloud.ImageId, slaPlanId = cloud.PlanId, zoneId = cloud.ZoneId });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        // A live migration, to its end.
        var migration = await (await api.Admin().PostAsJsonAsync($"/v1/instances/{vm.Id()}/actions/migrate", new { })).ExpectAsync(HttpStatusCode.Accepted);
        await api.WaitForMigrationAsync(migration.Id(), m => m.Str("status") == "completed", "completed");

        var text = await ScrapeAsync();
        Assert.True(Value(text, "iaas_placements_total", "outcome=\"placed\"") >= 1, text);
        Assert.True(Value(text, "iaas_placements_total", "filter=\"vcpus\"", "outcome=\"refused\"") >= 1);
        Assert.True(Value(text, "iaas_operation_duration_seconds_count", "kind=\"instance.create\"", "status=\"succeeded\"") >= 1);
        Assert.True(Value(text, "iaas_migration_downtime_milliseconds_count", "type=\"live\"") >= 1);
        Assert.True(Value(text, "iaas_migration_duration_seconds_count", "status=\"completed\"", "type=\"live\"") >= 1);
        Assert.True(Value(text, "iaas_hosts", "power=\"on\"", "state=\"enabled\"") >= 2);
        Assert.Matches(@"(?m)^iaas_queue_depth(\{[^}]*\})? \d+", text);
        Assert.Contains("http_server_request_duration_seconds_bucket", text);   // ASP.NET Core's, by route
    }

    [Fact]
    public async Task ACallersTraceparent_IsTheProblemsTraceId()
    {
        var traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/instances/{Guid.NewGuid()}");
        request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
        var response = await api.Admin().SendAsync(request);
        var problem = await response.ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Equal(traceId, problem.Str("traceId"));
        // Without one, the trace id is the W3C one the control plane started.
        var own = await (await api.Admin().GetAsync($"/v1/instances/{Guid.NewGuid()}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        Assert.Matches("^[0-9a-f]{32}$", own.Str("traceId"));
    }

    private async Task<string> ScrapeAsync()
    {
        await Task.Delay(400);   // the exporter serves a scrape cached for 300 ms
        var response = await api.Admin().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of a metric's samples whose labels include all of <paramref name="labels"/>.</summary>
    private static double Value(string text, string metric, params string[] labels) =>
        Sample().Matches(text).Where(m => m.Groups["name"].Value == metric && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            .Sum(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex(@"(?m)^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eE]+|NaN)")]
    private static partial Regex Sample();
}
