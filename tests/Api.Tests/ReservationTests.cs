using IaasApi.Infrastructure.Reservations;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Api.Tests;

/// <summary>
/// Advance reservations on the capacity timeline, driven by the fake clock and the tick: guarantees, launch into
/// slots, the end's on-end actions, extend/shorten/cancel, preemption and resume, restarts mid-start, races.
/// Each test has its own zone and hosts; windows are minutes ahead of the shared clock.
/// </summary>
public sealed class ReservationTests(ApiFactory api)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Reservation_GuaranteesItsWindow_AgainstOtherReservationsAndNonPreemptibleInstances()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 8, flavorVcpus: 2);
        var plan = await api.PlanAsync(500, preemptible: false);
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();

        var lease = await tenant.ReserveOkAsync(cloud, plan, 3, now + 10 * Minute, now + 40 * Minute);
        Assert.Equal(("scheduled", 3, 3), (lease.Str("status"), lease["slots"]!["total"]!.GetValue<int>(), lease["slots"]!["free"]!.GetValue<int>()));
        Assert.Null(lease["slots"]!["hostIds"]);                                   // hosts are operator knowledge

        var capacity = await tenant.GetJson($"/v1/capacity?zoneId={cloud.ZoneId}&from={Iso(now)}&to={Iso(now + 60 * Minute)}&step=10m");
        var points = capacity["points"]!.AsArray();
        Assert.Equal(7, points.Count);
        Assert.Equal(0, points[0]!["reserved"]!["vcpus"]!.GetValue<int>());
        Assert.Equal((6, 2), (points[2]!["reserved"]!["vcpus"]!.GetValue<int>(), points[2]!["free"]!["vcpus"]!.GetValue<int>()));
        Assert.Equal(0, points[5]!["reserved"]!["vcpus"]!.GetValue<int>());
        // The same step as an ISO 8601 duration (what generated clients send) gives the same timeline; nonsense is a 400.
        var iso = await tenant.GetJson($"/v1/capacity?zoneId={cloud.ZoneId}&from={Iso(now)}&to={Iso(now + 60 * Minute)}&step=PT10M");
        Assert.True(JsonNode.DeepEquals(points, iso["points"]));
        foreach (var bad in new[] { "PT10X", "P", "PT30S", "P400D" })
            await (await tenant.GetAsync($"/v1/capacity?zoneId={cloud.ZoneId}&step={bad}")).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");

        // Another reservation overlapping the window does not fit: 409 with the earliest window of the same length.
        var refused = await (await tenant.ReserveAsync(cloud, plan, 2, now + 20 * Minute, now + 50 * Minute)).ExpectProblemAsync(HttpStatusCode.Conflict, "capacity-unavailable");
        Assert.Equal(now + 40 * Minute, refused["earliestWindow"]!["start"]!.GetValue<DateTimeOffset>());
        Assert.Equal(now + 70 * Minute, refused["earliestWindow"]!["end"]!.GetValue<DateTimeOffset>());
        await tenant.ReserveOkAsync(cloud, plan, 2, now + 40 * Minute, now + 70 * Minute);

        // A non-preemptible instance has no end: only what stays free across the window may be taken now.
        await tenant.CreateOkAsync(cloud, planId: plan);
        var full = await (await tenant.CreateAsync(cloud, planId: plan)).ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
        Assert.Contains("vcpus", full.ToJsonString());
        Assert.Equal(2, await api.AllocatedVcpusAsync(cloud.HostIds[0]));
    }

    [Fact]
    public async Task Instances_WaitForTheStart_RunInTheSlots_AndTheEndDeletesThem_ReturningCapacityAndQuota()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 8, flavorVcpus: 2);
        var plan = await api.PlanAsync(500, preemptible: false);
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();
        var lease = await tenant.ReserveOkAsync(cloud, plan, 2, now + 10 * Minute, now + 30 * Minute, graceSeconds: 60);
        Assert.Equal(2, await tenant.UsageAsync());                              // the reservation holds the quota

        var early = await tenant.CreateOkAsync(cloud, reservationId: lease.Id());
        Assert.Equal(("pending", "reservation"), (early.Str("status"), early.Str("scheme")));
        Assert.Contains("Waiting for reservation", early.Str("statusReason"));
        Assert.Equal(2, await tenant.UsageAsync());                              // taken over from the reservation, not added

        await api.AdvanceAsync(10 * Minute);
        await tenant.WaitForStatusAsync(early.Id(), "running");
        Assert.Equal("active", (await tenant.GetJson($"/v1/reservations/{lease.Id()}")).Str("status"));

        var late = await tenant.CreateOkAsync(cloud, reservationId: lease.Id());   // after the start: launches at once
        await tenant.WaitForStatusAsync(late.Id(), "running");
        await (await tenant.CreateAsync(cloud, reservationId: lease.Id())).ExpectProblemAsync(HttpStatusCode.Conflict, "conflict");
        var read = await tenant.GetJson($"/v1/reservations/{lease.Id()}");
        Assert.Equal((0, 2), (read["slots"]!["free"]!.GetValue<int>(), read["slots"]!["inUse"]!.GetValue<int>()));

        // Deleting one frees its slot for the reservation (not for others): a new instance of the lease can take it.
        (await tenant.DeleteAsync($"/v1/instances/{late.Id()}")).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(late.Id(), "deleted");
        Assert.Equal(2, await tenant.UsageAsync());
        var again = await tenant.CreateOkAsync(cloud, reservationId: lease.Id());
        await tenant.WaitForStatusAsync(again.Id(), "running");

        // The end, then the grace period, then the on-end action: delete. Capacity and quota return.
        await api.AdvanceAsync(20 * Minute);
        Assert.Equal("running", await tenant.StatusAsync(early.Id()));           // within the grace period
        await api.AdvanceAsync(Minute);
        await tenant.WaitForStatusAsync(early.Id(), "deleted");
        await tenant.WaitForStatusAsync(again.Id(), "deleted");
        Assert.Equal("ended", (await tenant.GetJson($"/v1/reservations/{lease.Id()}")).Str("status"));
        Assert.Equal(0, await tenant.UsageAsync());
        Assert.Equal(0, await api.AllocatedVcpusAsync(cloud.HostIds[0]));
        for (var i = 0; i < 4; i++) await tenant.CreateOkAsync(cloud, planId: plan);   // the whole host is free again
    }

    [Fact]
    public async Task Preemption_SuspendsTheLowestPriorityBorrowersWithNotice_AndTheyResumeWhenCapacityFrees()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 8, flavorVcpus: 2);
        var low = await api.PlanAsync(100, preemptible: true);
        var higher = await api.PlanAsync(300, preemptible: true);
        var reserved = await api.PlanAsync(500, preemptible: false);
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();
        var lease = await tenant.ReserveOkAsync(cloud, reserved, 2, now + 10 * Minute, now + 20 * Minute);
        var inLease = await tenant.CreateOkAsync(cloud, reservationId: lease.Id());

        // Preemptible instances may borrow what the reservation will need: the whole host now.
        var lows = new List<Guid>();
        var highs = new List<Guid>();
        for (var i = 0; i < 2; i++) lows.Add((await tenant.CreateOkAsync(cloud, planId: low)).Id());
        for (var i = 0; i < 2; i++) highs.Add((await tenant.CreateOkAsync(cloud, planId: higher)).Id());
        foreach (var id in lows.Concat(highs)) await tenant.WaitForStatusAsync(id, "running");
        Assert.Equal(8, await api.AllocatedVcpusAsync(cloud.HostIds[0]));
        await (await tenant.CreateAsync(cloud, planId: reserved)).ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");

        // The notice period (5 min by default): those that will make room are told, the others are not.
        await api.AdvanceAsync(6 * Minute);
        foreach (var id in lows)
        {
            Assert.Contains("Will be preempted", (await tenant.GetJson($"/v1/instances/{id}")).Str("statusReason"));
            Assert.Contains("preemption-notice", await ActionsAsync(tenant, id));
        }
        foreach (var id in highs) Assert.DoesNotContain("preemption-notice", await ActionsAsync(tenant, id));

        // The start: the lowest priority borrowers are suspended (state kept, in the queue); the reservation runs.
        await api.AdvanceAsync(4 * Minute);
        await tenant.WaitForStatusAsync(inLease.Id(), "running");
        foreach (var id in lows)
        {
            var suspended = await tenant.WaitForStatusAsync(id, "suspended");
            Assert.Contains("Preempted for reservation", suspended.Str("statusReason"));
            Assert.Contains("preempted", await ActionsAsync(tenant, id));
        }
        foreach (var id in highs) Assert.Equal("running", await tenant.StatusAsync(id));
        await (await tenant.PostAsync($"/v1/instances/{lows[0]}/actions/start", null)).ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");
        await WaitForSavedAsync(lows);
        Assert.Equal(6, await api.AllocatedVcpusAsync(cloud.HostIds[0]));        // 2 borrowers + 1 in its slot (+ 1 idle slot)
        await api.TickAsync();
        foreach (var id in lows)
        {
            var waiting = await tenant.GetJson($"/v1/instances/{id}");
            Assert.Equal("suspended", waiting.Str("status"));                   // the idle slot is the reservation's, not theirs
            Assert.NotNull(waiting["queuePosition"]);
        }

        // The reservation ends: its instance is deleted, capacity frees, the suspended ones resume with their state.
        await api.AdvanceAsync(10 * Minute);
        await tenant.WaitForStatusAsync(inLease.Id(), "deleted");
        foreach (var id in lows) await tenant.WaitForStatusAsync(id, "running");
        foreach (var id in lows) Assert.Contains("resume", await ActionsAsync(tenant, id));
        Assert.Equal(8, await api.AllocatedVcpusAsync(cloud.HostIds[0]));
        Assert.All(lows, id => Assert.Equal(IaasApi.Domain.Hypervisors.VmPowerState.Running, api.Fake.Find(id)!.Power));
    }

    [Fact]
    public async Task OnEndStop_StopsAndReleases_AndStartPlacesTheInstanceAgain()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 4, flavorVcpus: 2);
        var plan = await api.PlanAsync(500, preemptible: false);
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();
        var lease = await tenant.ReserveOkAsync(cloud, plan, 1, now + Minute, now + 10 * Minute, onEnd: "stop");
        var vm = await tenant.CreateOkAsync(cloud, reservationId: lease.Id());
        await api.AdvanceAsync(Minute);
        await tenant.WaitForStatusAsync(vm.Id(), "running");

        await api.AdvanceAsync(9 * Minute);
        var stopped = await tenant.WaitForStatusAsync(vm.Id(), "stopped");
        Assert.Contains("capacity returned", stopped.Str("statusReason"));
        Assert.Null(stopped["reservationId"]?.GetValue<Guid?>());
        Assert.Equal(0, await api.AllocatedVcpusAsync(cloud.HostIds[0]));
        Assert.Equal(1, await tenant.UsageAsync());                              // it still exists: its quota stays

        (await tenant.PostAsync($"/v1/instances/{vm.Id()}/actions/start", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(vm.Id(), "running");
        Assert.Equal(2, await api.AllocatedVcpusAsync(cloud.HostIds[0]));
    }

    [Fact]
    public async Task OnEndSnapshotThenDelete_LeavesAPrivateImage()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 4, flavorVcpus: 2);
        var plan = await api.PlanAsync(500, preemptible: false);
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();
        var lease = await tenant.ReserveOkAsync(cloud, plan, 1, now + Minute, now + 5 * Minute, onEnd: "snapshot-then-delete");
        var vm = await tenant.CreateOkAsync(cloud, reservationId: lease.Id());
        await api.AdvanceAsync(Minute);
        await tenant.WaitForStatusAsync(vm.Id(), "running");
        await api.AdvanceAsync(4 * Minute);
        await tenant.WaitForStatusAsync(vm.Id(), "deleted");

        // Other tests' public images may fill pages; the tenant's private ones are few.
        var images = (await tenant.GetJson("/v1/images?visibility=private"))["items"]!.AsArray();
        var snapshot = images.Single(i => i!["sourceInstanceId"]?.GetValue<Guid?>() == vm.Id())!;
        Assert.Equal(snapshot.Id(), (await tenant.GetJson($"/v1/images?sourceInstanceId={vm.Id()}"))["items"]!.AsArray().Single()!.Id());
        Assert.Empty((await tenant.GetJson($"/v1/images?visibility=public&sourceInstanceId={vm.Id()}"))["items"]!.AsArray());
        Assert.Equal(cloud.TenantId, snapshot["ownerTenantId"]!.GetValue<Guid>());
        Assert.Contains(api.Fake.Snapshots(), s => s.InstanceId == vm.Id());
        var (_, otherKey) = await api.NewTenantAsync();
        await (await api.Client(otherKey).GetAsync($"/v1/images/{snapshot.Id()}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await tenant.CreateOkAsync(cloud, planId: plan);                           // the tenant's snapshot is bootable by it
    }

    [Fact]
    public async Task ExtendShortenCancel_KeepEveryOtherGuarantee()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 8, flavorVcpus: 2, quotas: new { instances = 8, vcpus = -1, memoryMiB = -1 });
        var plan = await api.PlanAsync(500, preemptible: false);
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();
        var a = await tenant.ReserveOkAsync(cloud, plan, 4, now + 10 * Minute, now + 30 * Minute);
        var b = await tenant.ReserveOkAsync(cloud, plan, 4, now + 30 * Minute, now + 50 * Minute);
        Assert.Equal(8, await tenant.UsageAsync());

        var blocked = await (await tenant.PatchAsJsonAsync($"/v1/reservations/{a.Id()}", new { end = now + 40 * Minute }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "capacity-unavailable");
        Assert.Contains("cannot keep", blocked.Str("detail"));
        Assert.Equal(now + 30 * Minute, (await tenant.GetJson($"/v1/reservations/{a.Id()}"))["end"]!.GetValue<DateTimeOffset>());

        var shorter = await tenant.PatchAsJsonAsync($"/v1/reservations/{a.Id()}", new { end = now + 20 * Minute });
        Assert.Equal(now + 20 * Minute, (await shorter.ExpectAsync(HttpStatusCode.OK))["end"]!.GetValue<DateTimeOffset>());
        // B can now start earlier, into the time A gave back; not earlier than that.
        await (await tenant.PatchAsJsonAsync($"/v1/reservations/{b.Id()}", new { start = now + 15 * Minute }))
            .ExpectProblemAsync(HttpStatusCode.Conflict, "capacity-unavailable");
        (await tenant.PatchAsJsonAsync($"/v1/reservations/{b.Id()}", new { start = now + 20 * Minute })).EnsureSuccessStatusCode();

        // A stale If-Match is refused.
        var stale = new HttpRequestMessage(HttpMethod.Patch, $"/v1/reservations/{b.Id()}") { Content = JsonContent.Create(new { end = now + 45 * Minute }) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        await (await tenant.SendAsync(stale)).ExpectProblemAsync(HttpStatusCode.PreconditionFailed, "precondition-failed");

        var cancelled = await (await tenant.DeleteAsync($"/v1/reservations/{b.Id()}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("cancelled", cancelled.Str("status"));
        Assert.Equal(4, await tenant.UsageAsync());
        (await tenant.PatchAsJsonAsync($"/v1/reservations/{a.Id()}", new { end = now + 45 * Minute })).EnsureSuccessStatusCode();
        await (await tenant.DeleteAsync($"/v1/reservations/{b.Id()}")).ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");
    }

    [Fact]
    public async Task WithoutAutoStart_PendingInstancesWaitForAStartAction()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 4, flavorVcpus: 2);
        var plan = await api.PlanAsync(500, preemptible: false);
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();
        var lease = await tenant.ReserveOkAsync(cloud, plan, 1, now + Minute, now + 10 * Minute, autoStart: false);
        var vm = await tenant.CreateOkAsync(cloud, reservationId: lease.Id());
        await (await tenant.PostAsync($"/v1/instances/{vm.Id()}/actions/start", null)).ExpectProblemAsync(HttpStatusCode.Conflict, "invalid-state");

        await api.AdvanceAsync(Minute);
        var waiting = await tenant.GetJson($"/v1/instances/{vm.Id()}");
        Assert.Equal("pending", waiting.Str("status"));
        Assert.Contains("actions/start", waiting.Str("statusReason"));
        (await tenant.PostAsync($"/v1/instances/{vm.Id()}/actions/start", null)).EnsureSuccessStatusCode();
        await tenant.WaitForStatusAsync(vm.Id(), "running");
    }

    [Fact]
    public async Task ARestartMidStart_LosesNothing_AndAStartRunsOnce()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 8, flavorVcpus: 2);
        var plan = await api.PlanAsync(500, preemptible: false);
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();
        var lease = await tenant.ReserveOkAsync(cloud, plan, 2, now + Minute, now + 30 * Minute);
        var vms = new[] { await tenant.CreateOkAsync(cloud, reservationId: lease.Id()), await tenant.CreateOkAsync(cloud, reservationId: lease.Id()) };

        // The start commits, then the process dies before its jobs run (they are lost), and two ticks race for it.
        api.Clock.Advance(Minute);
        api.Jobs.DropNext(2, cloud.TenantId);
        var starts = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => StartAsync(lease.Id())));
        Assert.Equal(1, starts.Count(s => s));
        Assert.Equal(4, await api.AllocatedVcpusAsync(cloud.HostIds[0]));
        foreach (var vm in vms) Assert.Equal("building", await tenant.StatusAsync(vm.Id()));

        // After the restart the reconciler finds the work no job carries and finishes it.
        await api.AdvanceAsync(2 * Minute);
        foreach (var vm in vms) await tenant.WaitForStatusAsync(vm.Id(), "running");
        Assert.Equal(4, await api.AllocatedVcpusAsync(cloud.HostIds[0]));
    }

    [Fact]
    public async Task Quotas_CoverReservedCapacity()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 16, flavorVcpus: 2, quotas: new { instances = 3, vcpus = -1, memoryMiB = -1 });
        var plan = await api.PlanAsync(500, preemptible: false);
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();
        var lease = await tenant.ReserveOkAsync(cloud, plan, 3, now + Minute, now + 10 * Minute);
        await (await tenant.CreateAsync(cloud, planId: plan)).ExpectProblemAsync(HttpStatusCode.Conflict, "quota-exceeded");
        await (await tenant.ReserveAsync(cloud, plan, 1, now + Minute, now + 10 * Minute)).ExpectProblemAsync(HttpStatusCode.Conflict, "quota-exceeded");
        await tenant.CreateOkAsync(cloud, reservationId: lease.Id());
        Assert.Equal(3, await tenant.UsageAsync());
        (await tenant.DeleteAsync($"/v1/reservations/{lease.Id()}")).EnsureSuccessStatusCode();
        Assert.Equal(0, await tenant.UsageAsync());
    }

    [Fact]
    public async Task Reservation_WithAnIdempotencyKey_IsBookedOnce()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 8, flavorVcpus: 2);
        var plan = await api.PlanAsync(500, preemptible: false);
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();
        var body = new { name = "once", flavorId = cloud.FlavorId, count = 2, zoneId = cloud.ZoneId, start = now + Minute, end = now + 10 * Minute, slaPlanId = plan };
        HttpRequestMessage Request()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/reservations") { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", "lease-once");
            return request;
        }
        var first = await (await tenant.SendAsync(Request())).ExpectAsync(HttpStatusCode.Created);
        var again = await tenant.SendAsync(Request());
        Assert.Equal(first.Id(), (await again.ExpectAsync(HttpStatusCode.Created)).Id());
        Assert.Single((await tenant.GetJson("/v1/reservations"))["items"]!.AsArray(), r => r!.Str("name") == "once");
        Assert.Equal(2, await tenant.UsageAsync());
    }

    [Fact]
    public async Task Reservation_BadInput_IsRefusedAndChangesNothing()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 8, flavorVcpus: 2);
        var plan = await api.PlanAsync(500, preemptible: false);
        var immediateOnly = await api.PlanAsync(500, false, "immediate");
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();
        await (await tenant.ReserveAsync(cloud, plan, 1, now + 10 * Minute, now + 5 * Minute)).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.ReserveAsync(cloud, plan, 0, now + Minute, now + 5 * Minute)).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.ReserveAsync(cloud, plan, 1, now - 10 * Minute, now - 5 * Minute)).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.ReserveAsync(cloud, plan, 1, now + Minute, now + 5 * Minute, flavorId: Guid.NewGuid())).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await tenant.ReserveAsync(cloud, immediateOnly, 1, now + Minute, now + 5 * Minute)).ExpectProblemAsync(HttpStatusCode.Conflict, "scheme-not-allowed");
        await (await tenant.ReserveAsync(cloud, plan, 1, now + Minute, now + TimeSpan.FromDays(400))).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.GetAsync($"/v1/capacity?zoneId={cloud.ZoneId}&step=1s")).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.GetAsync($"/v1/capacity?zoneId={cloud.ZoneId}&step=60&to={Iso(now + TimeSpan.FromDays(30))}")).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.GetAsync("/v1/capacity")).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        await (await tenant.GetAsync($"/v1/capacity?zoneId={cloud.ZoneId}&from=yesterday")).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Equal(0, await tenant.UsageAsync());

        var lease = await tenant.ReserveOkAsync(cloud, plan, 1, now + Minute, now + 5 * Minute);
        var otherFlavor = await api.FlavorAsync(4);
        await (await tenant.CreateAsync(cloud, flavorId: otherFlavor, reservationId: lease.Id())).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        var (_, otherKey) = await api.NewTenantAsync();
        var other = api.Client(otherKey);
        await (await other.GetAsync($"/v1/reservations/{lease.Id()}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.CreateAsync(cloud, reservationId: lease.Id())).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await other.DeleteAsync($"/v1/reservations/{lease.Id()}")).ExpectProblemAsync(HttpStatusCode.NotFound, "not-found");
        await (await tenant.PatchAsJsonAsync($"/v1/reservations/{lease.Id()}", new { })).ExpectProblemAsync(HttpStatusCode.BadRequest, "validation");
        Assert.Equal(1, await tenant.UsageAsync());
    }

    [Fact]
    public async Task Race_ReservationsAndNonPreemptibleCreates_NeverOverbookTheTimeline()
    {
        var cloud = await api.SeedAsync(hosts: 1, hostVcpus: 8, flavorVcpus: 2);   // 4 units
        var plan = await api.PlanAsync(500, preemptible: false);
        var now = Now();
        var tenants = new List<HttpClient>();
        for (var i = 0; i < 4; i++) tenants.Add(api.Client((await api.NewTenantAsync()).Key));

        var reserves = Enumerable.Range(0, 10).Select(i => tenants[i % 4].ReserveAsync(cloud, plan, 1, now + 10 * Minute, now + 20 * Minute));
        var creates = Enumerable.Range(0, 10).Select(i => tenants[i % 4].CreateAsync(cloud, planId: plan));
        var responses = await Task.WhenAll(reserves.Concat(creates));
        var reserved = responses.Take(10).Count(r => r.StatusCode == HttpStatusCode.Created);
        var running = responses.Skip(10).Count(r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.Accepted or HttpStatusCode.Conflict, r.StatusCode.ToString()));
        Assert.Equal(4, reserved + running);                                      // every unit used once, none twice

        var capacity = await api.Admin().GetJson($"/v1/capacity?zoneId={cloud.ZoneId}&from={Iso(now + 15 * Minute)}&to={Iso(now + 15 * Minute)}");
        var at = capacity["points"]![0]!;
        Assert.Equal(8, at["allocated"]!["vcpus"]!.GetValue<int>() + at["reserved"]!["vcpus"]!.GetValue<int>());
    }

    [Fact]
    public async Task TimelineCache_OfAnotherProcess_FollowsEveryBookingMoveAndCancel_AndRereadsOnlyWhatChanged()
    {
        var cloud = await api.SeedAsync(hosts: 3, hostVcpus: 8, flavorVcpus: 2, quotas: new { instances = 20, vcpus = -1, memoryMiB = -1 });
        var plan = await api.PlanAsync(500, preemptible: false);
        var tenant = api.Client(cloud.TenantKey);
        var now = Now();
        var other = new TimelineCache();                                          // another replica's cache: it sees only the database
        var read = 0L;

        async Task<long> AgreesWithTheDatabaseAsync()
        {
            using var scope = api.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<IaasApi.Infrastructure.Persistence.IaasDbContext>();
            var before = other.SlotRowsRead;
            var cached = await other.TimelinesAsync(db, h => h.ZoneId == cloud.ZoneId, now, now + 600 * Minute, CancellationToken.None);
            var loaded = other.SlotRowsRead - before;
            var direct = await new TimelineCache().ReadAsync(db, cloud.HostIds, now, now + 600 * Minute, CancellationToken.None);
            Assert.Equal(direct.Select(Describe), cached.Select(Describe));
            return loaded;
        }

        var a = await tenant.ReserveOkAsync(cloud, plan, 4, now + 10 * Minute, now + 30 * Minute);
        read += await AgreesWithTheDatabaseAsync();
        Assert.Equal(4, read);                                                    // first look: every slot of the zone
        Assert.Equal(0, await AgreesWithTheDatabaseAsync());                      // nothing moved: nothing re-read

        var b = await tenant.ReserveOkAsync(cloud, plan, 1, now + 40 * Minute, now + 50 * Minute);
        var moved = await AgreesWithTheDatabaseAsync();
        Assert.True(moved is 1 or 5, $"{moved}");                                 // only the host that took b's slot (a's, when packed)
        (await tenant.PatchAsJsonAsync($"/v1/reservations/{a.Id()}", new { end = now + 35 * Minute })).EnsureSuccessStatusCode();
        Assert.Equal(moved == 5 ? 5 : 4, await AgreesWithTheDatabaseAsync());     // only the host of a (and of b, when packed)
        (await tenant.DeleteAsync($"/v1/reservations/{b.Id()}")).EnsureSuccessStatusCode();
        await AgreesWithTheDatabaseAsync();
        await tenant.CreateOkAsync(cloud, planId: plan);                          // instances move the counters, not the slots
        Assert.Equal(0, await AgreesWithTheDatabaseAsync());
    }

    private static string Describe(IaasApi.Domain.Reservations.HostTimeline t) =>
        $"{t.HostId} usable {t.Usable} persistent {t.Persistent} borrowed {t.Borrowed} in-slots {t.InSlots} idle {t.Idle} slots " +
        string.Join(", ", t.Slots.OrderBy(x => x.Start).ThenBy(x => x.End).Select(x => $"[{x.Start:O}, {x.End:O}) {x.Amount}"));

    private async Task<bool> StartAsync(Guid reservationId)
    {
        using var scope = api.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<ReservationClock>().ActivateAsync(reservationId, CancellationToken.None);
    }

    private static async Task<List<string>> ActionsAsync(HttpClient client, Guid instanceId) =>
        (await client.GetJson($"/v1/instances/{instanceId}/actions"))["items"]!.AsArray().Select(a => a!.Str("action")).ToList();

    private async Task WaitForSavedAsync(IEnumerable<Guid> ids)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (ids.Any(id => api.Fake.Find(id)?.Power != IaasApi.Domain.Hypervisors.VmPowerState.Suspended))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The preempted VMs were not saved off their host.");
            await Task.Delay(50);
        }
    }

    /// <summary>The clock, in whole seconds (reservation windows are).</summary>
    private DateTimeOffset Now() => IaasApi.Domain.Reservations.Reservation.WholeSeconds(api.Clock.GetUtcNow());

    private static string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("O"));
}
