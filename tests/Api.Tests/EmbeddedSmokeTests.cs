using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// The README's run command, as a fresh machine runs it: the real Api process with no configuration — embedded SQLite,
/// in-memory Hangfire, fake driver, demo data, a printed admin key — and a VM created over HTTP reaching running.
/// A separate process, so its in-memory Hangfire never meets the PostgreSQL one of the other tests.
/// </summary>
public sealed class EmbeddedSmokeTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("iaas-embedded-").FullName;

    [Fact]
    public async Task EmbeddedMode_ServesSwagger_AndRunsAVm_WithNoConfiguration()
    {
        var environment = new Dictionary<string, string> { ["Iaas__DataDirectory"] = _dataDir };
        string adminKey, tenantKey;
        Guid instanceId;
        using (var api = await ChildProcess.StartApiAsync(environment, _dataDir))
        {
            adminKey = api.Line("Admin API key: ");
            tenantKey = api.Line("Demo tenant API key: ");
            Assert.Equal(adminKey, (await File.ReadAllTextAsync(Path.Combine(_dataDir, "admin-key"))).Trim());
            Assert.True(File.Exists(Path.Combine(_dataDir, "iaas.db")));

            var http = api.Client(null);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/swagger/index.html")).StatusCode);
            Assert.Equal("sqlite", (await http.GetJson("/readyz")).Str("database"));

            var tenant = api.Client(tenantKey);
            var flavor = (await tenant.GetJson("/v1/flavors?name=small"))["items"]![0]!.Id();
            var image = (await tenant.GetJson("/v1/images?name=debian-12"))["items"]![0]!.Id();
            var plan = (await tenant.GetJson("/v1/sla-plans?name=silver"))["items"]![0]!.Id();
            Assert.Equal(2, (await tenant.GetJson("/v1/zones"))["items"]!.AsArray().Count);
            Assert.True((await api.Client(adminKey).GetJson("/v1/hosts"))["items"]!.AsArray().Count >= 4);
            Assert.True((await tenant.GetJson("/v1/flavors"))["items"]!.AsArray().Count >= 6);

            var stopwatch = Stopwatch.StartNew();
            var create = await tenant.PostAsJsonAsync("/v1/instances", new { name = "smoke-1", flavorId = flavor, imageId = image, slaPlanId = plan });
            instanceId = (await create.ExpectAsync(HttpStatusCode.Accepted)).Id();
            await tenant.WaitForStatusAsync(instanceId, "running", timeoutMs: 10000);
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");

            // The timeline on SQLite: a reservation that starts now is active at once, an instance runs in it, and
            // the capacity timeline shows it reserved.
            var zone = (await tenant.GetJson("/v1/zones"))["items"]![0]!.Id();
            var lease = await (await tenant.PostAsJsonAsync("/v1/reservations", new
            {
                name = "smoke-lease", flavorId = flavor, count = 1, zoneId = zone, slaPlanId = plan,
                start = DateTimeOffset.UtcNow, end = DateTimeOffset.UtcNow.AddHours(1),
            })).ExpectAsync(HttpStatusCode.Created);
            Assert.Equal("active", lease.Str("status"));
            var inLease = await (await tenant.PostAsJsonAsync("/v1/instances", new { name = "smoke-2", flavorId = flavor, imageId = image, reservationId = lease.Id() }))
                .ExpectAsync(HttpStatusCode.Accepted);
            await tenant.WaitForStatusAsync(inLease.Id(), "running", timeoutMs: 10000);
            var now = (await tenant.GetJson($"/v1/capacity?zoneId={zone}&step=1h"))["points"]![0]!;
            Assert.Equal(1, now["reserved"]!["vcpus"]!.GetValue<int>());
        }

        // A restart keeps everything: the same key, no second seed, and the VM (fake driver state is on disk too).
        using (var again = await ChildProcess.StartApiAsync(environment, _dataDir))
        {
            Assert.Equal(adminKey, again.Line("Admin API key: "));
            Assert.False(again.Printed("Demo tenant API key: "));
            var tenant = again.Client(tenantKey);
            Assert.Equal("running", (await tenant.GetJson($"/v1/instances/{instanceId}")).Str("status"));
            (await tenant.PostAsync($"/v1/instances/{instanceId}/actions/stop", null)).EnsureSuccessStatusCode();
            await tenant.WaitForStatusAsync(instanceId, "stopped", timeoutMs: 10000);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
