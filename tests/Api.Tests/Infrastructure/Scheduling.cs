using IaasApi.Infrastructure.Hosts;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Infrastructure.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>Helpers for the provisioning-scheme tests: plans, flavors, reservations and the tick, through the public API.</summary>
public static class Scheduling
{
    /// <summary>
    /// Runs the recurring tick once, as Hangfire would (host health, reservations' notices, starts and ends, then the
    /// queue), after the agents' heartbeats as of the clock (the in-process server serves every fake host; a silenced one does not
    /// answer), then the tick — as in production, where beats come every few seconds between ticks.
    /// </summary>
    public static Task TickAsync(this ApiFactory api) =>
        api.WithScopeAsync(async sp =>
        {
            await sp.GetRequiredService<HostHeartbeat>().BeatAsync([JobDispatcher.ControlQueue], CancellationToken.None);
            await sp.GetRequiredService<ITickJob>().RunAsync(CancellationToken.None);
        });

    /// <summary>Advances the control plane's clock, then ticks.</summary>
    public static async Task AdvanceAsync(this ApiFactory api, TimeSpan by)
    {
        api.Clock.Advance(by);
        await api.TickAsync();
    }

    public static async Task<Guid> PlanAsync(this ApiFactory api, int priority, bool preemptible, params string[] schemes) =>
        (await api.Admin().PostOk("/v1/sla-plans", new
        {
            name = TestCloud.Unique("plan"), priority, preemptible,
            schemes = schemes.Length > 0 ? schemes : new[] { "immediate", "best-effort", "reservation" },
            placementStrategy = "pack", availabilityTarget = 99.9, maxProvisioningSeconds = 300, pricePerHour = 0.1, penaltyPercent = 10,
        })).Id();

    public static async Task<Guid> FlavorAsync(this ApiFactory api, int vcpus, int memoryMiB = 1024, int diskGiB = 10) =>
        (await api.Admin().PostOk("/v1/flavors", new { name = TestCloud.Unique("flavor"), vcpus, memoryMiB, diskGiB })).Id();

    public static Task<HttpResponseMessage> CreateAsync(this HttpClient tenant, Cloud c, Guid? flavorId = null, Guid? planId = null,
                                                        string? scheme = null, int? maxWaitSeconds = null, Guid? reservationId = null,
                                                        string? name = null, int? count = null) =>
        tenant.PostAsJsonAsync("/v1/instances", new
        {
            name = name ?? TestCloud.Unique("vm"), flavorId = flavorId ?? c.FlavorId, imageId = c.ImageId,
            slaPlanId = reservationId is null ? planId ?? c.PlanId : planId, zoneId = reservationId is null ? c.ZoneId : (Guid?)null,
            scheme, maxWaitSeconds, reservationId, count,
        });

    public static async Task<JsonObject> CreateOkAsync(this HttpClient tenant, Cloud c, Guid? flavorId = null, Guid? planId = null,
                                                       string? scheme = null, int? maxWaitSeconds = null, Guid? reservationId = null) =>
        await (await tenant.CreateAsync(c, flavorId, planId, scheme, maxWaitSeconds, reservationId)).ExpectAsync(HttpStatusCode.Accepted);

    public static Task<HttpResponseMessage> ReserveAsync(this HttpClient tenant, Cloud c, Guid planId, int count, DateTimeOffset start,
                                                         DateTimeOffset end, Guid? flavorId = null, string onEnd = "delete",
                                                         bool autoStart = true, int graceSeconds = 0) =>
        tenant.PostAsJsonAsync("/v1/reservations", new
        {
            name = TestCloud.Unique("lease"), flavorId = flavorId ?? c.FlavorId, count, zoneId = c.ZoneId, start, end, slaPlanId = planId,
            onEnd, autoStart, graceSeconds,
        });

    public static async Task<JsonObject> ReserveOkAsync(this HttpClient tenant, Cloud c, Guid planId, int count, DateTimeOffset start,
                                                        DateTimeOffset end, Guid? flavorId = null, string onEnd = "delete",
                                                        bool autoStart = true, int graceSeconds = 0) =>
        await (await tenant.ReserveAsync(c, planId, count, start, end, flavorId, onEnd, autoStart, graceSeconds)).ExpectAsync(HttpStatusCode.Created);

    public static async Task<string> StatusAsync(this HttpClient client, Guid instanceId) =>
        (await client.GetJson($"/v1/instances/{instanceId}")).Str("status");

    /// <summary>A host's allocation as the API shows it (vCPUs).</summary>
    public static async Task<int> AllocatedVcpusAsync(this ApiFactory api, Guid hostId) =>
        (await api.Admin().GetJson($"/v1/hosts/{hostId}"))["allocated"]!["vcpus"]!.GetValue<int>();

    public static async Task<int> UsageAsync(this HttpClient tenant, string what = "instances") =>
        (await tenant.GetJson("/v1/me"))["usage"]![what]!.GetValue<int>();
}
