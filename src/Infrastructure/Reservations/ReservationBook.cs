using System.Linq.Expressions;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Placement;
using IaasApi.Domain.Reservations;
using IaasApi.Domain.Tenancy;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Infrastructure.Reservations;

/// <summary>A reservation request with its references resolved.</summary>
public sealed record ReservationRequest(Guid TenantId, string Name, Flavor Flavor, SlaPlan Plan, Guid ZoneId, int Count,
                                       DateTimeOffset Start, DateTimeOffset End, OnEndAction OnEnd, bool AutoStart, int GraceSeconds);

/// <summary>
/// Books advance reservations on the hosts' capacity timelines. A reservation is accepted only if its slots fit, on
/// every host and at every instant of [start, end + grace), beside the non-preemptible instances running there (they
/// have no end) and every other reservation; preemptible instances are not in the way (they are preempted at the
/// start). Booking plans on a read of the zone (through the version-checked TimelineCache), then locks each chosen host's row, re-reads its timeline and checks
/// again before inserting its slots, so two bookings (or a booking and a non-preemptible claim) never both take the
/// last room: the claim's conditional UPDATE compares against the reserved peak this booking writes in the same
/// transaction. Lock order: tenant row, reservation row, host rows (by id).
/// </summary>
public sealed class ReservationBook(
    IaasDbContext db,
    CapacityClaims claims,
    PlacementPipeline pipeline,
    HostSnapshot snapshot,
    TimelineCache timelineCache,
    IOptions<IaasOptions> options)
{
    private const int Attempts = 4;

    public async Task<Reservation> CreateAsync(ReservationRequest r, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        var start = r.Start < now ? now : r.Start;
        Validate(start, r.End, now);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await CreateOnceAsync(r, start, now, ct);
            }
            catch (Exception ex) when (attempt < Attempts && (ex is TimelineMovedException || DatabaseErrors.IsTransientConflict(ex)))
            {
                db.ChangeTracker.Clear();
            }
            catch (TimelineMovedException)
            {
                throw new ContendedException(
                    $"Other bookings took the planned hosts' room {Attempts} times in a row while this one was being booked; nothing was reserved. Retry.");
            }
        }
    }

    private async Task<Reservation> CreateOnceAsync(ReservationRequest r, DateTimeOffset start, DateTimeOffset now, CancellationToken ct)
    {
        var demand = r.Flavor.Resources;
        var reservation = new Reservation(r.TenantId, r.Name, r.Flavor.Id, demand, r.Count, r.ZoneId, r.Plan.Id, start, r.End, r.OnEnd,
            r.AutoStart, r.GraceSeconds, now);
        var hostIds = await EligibleHostsAsync(r.Flavor, r.Plan, r.ZoneId, fresh: false, ct);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var usage = Usage.Of(demand, r.Count);
        if (!await claims.TryClaimQuotaAsync(r.TenantId, usage, ct))
            throw new QuotaExceededException(
                $"This reservation holds {usage.Instances} instance(s), {usage.Vcpus} vCPUs and {usage.MemoryMiB} MiB; it would exceed the tenant's quota.",
                await ExceededAsync(r.TenantId, usage, ct));

        var picks = await PlanAsync(r, hostIds, start, reservation.ReleaseAt, ct);
        if (picks is null)
        {
            // A refusal rests on a fresh view of the hosts: one added, enabled or re-labelled since the snapshot may hold it.
            hostIds = await EligibleHostsAsync(r.Flavor, r.Plan, r.ZoneId, fresh: true, ct);
            picks = await PlanAsync(r, hostIds, start, reservation.ReleaseAt, ct)
                    ?? throw await UnavailableAsync(r.ZoneId, hostIds, demand, r.Count, start, reservation.ReleaseAt, r.GraceSeconds, ct);
        }

        db.Reservations.Add(reservation);
        foreach (var group in picks.GroupBy(h => h).OrderBy(g => g.Key))
        {
            await claims.LockTimelineAsync(group.Key, ct);
            var fresh = (await timelineCache.ReadAsync(db, [group.Key], now, DateTimeOffset.MaxValue, ct)).Single();
            if (!fresh.CanReserve(demand * group.Count(), start, reservation.ReleaseAt)) throw new TimelineMovedException();
            var slots = group.Select(_ => new ReservationSlot(reservation.Id, group.Key, demand, start, reservation.ReleaseAt)).ToList();
            db.ReservationSlots.AddRange(slots);
            await claims.SetReservedPeakAsync(group.Key,
                HostTimeline.Peak(fresh.Slots.Concat(slots.Select(s => s.Interval)).ToList(), now, DateTimeOffset.MaxValue), ct);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return reservation;
    }

    /// <summary>
    /// Moves a reservation's window (extend, shorten, start later or earlier before it started). Its slots stay on
    /// their hosts; each host must hold them over the new window beside everything else, or nothing changes and the
    /// answer is 409 <c>capacity-unavailable</c>.
    /// </summary>
    public async Task<Reservation> RescheduleAsync(Guid id, Guid? tenantId, DateTimeOffset? start, DateTimeOffset? end, long? ifMatch, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await RescheduleOnceAsync(id, tenantId, start, end, ifMatch, ct);
            }
            catch (Exception ex) when (attempt < Attempts && DatabaseErrors.IsTransientConflict(ex))
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private async Task<Reservation> RescheduleOnceAsync(Guid id, Guid? tenantId, DateTimeOffset? start, DateTimeOffset? end, long? ifMatch,
                                                       CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await claims.LockReservationAsync(id, ct) is null) throw new NotFoundException("reservation", id);
        var reservation = await db.Reservations.SingleAsync(x => x.Id == id, ct);
        if (tenantId is { } owner && reservation.TenantId != owner) throw new NotFoundException("reservation", id);
        if (ifMatch is { } expected && expected != reservation.Version)
            throw new PreconditionFailedException($"The reservation is at version {reservation.Version}, not {expected}.");
        if (start is { } s && reservation.Status == ReservationStatus.Scheduled && s < now) start = now;
        if (start is { } s2 && reservation.Status == ReservationStatus.Scheduled) Validate(s2, end ?? reservation.End, now);
        if (end is { } e && e - (start ?? reservation.Start) > Reservation.MaxDuration)
            throw new FieldValidationException("end", $"A reservation lasts at most {Reservation.MaxDuration.TotalDays:0} days.");
        reservation.Reschedule(start, end, now);

        var slots = await db.ReservationSlots.Where(x => x.ReservationId == id).ToListAsync(ct);
        foreach (var group in slots.GroupBy(x => x.HostId).OrderBy(g => g.Key))
        {
            await claims.LockTimelineAsync(group.Key, ct);
            var others = (await timelineCache.ReadAsync(db, [group.Key], now, DateTimeOffset.MaxValue, ct, excludeReservation: id)).Single();
            var need = group.Aggregate(Resources.Zero, (sum, x) => sum + x.Resources);
            // A started reservation's slots already hold capacity now; only the future part of the window is checked.
            var from = reservation.Start > now ? reservation.Start : now;
            if (reservation.ReleaseAt > from && !others.CanReserve(need, from, reservation.ReleaseAt))
                throw RescheduleUnavailable(reservation);
            foreach (var slot in group) slot.Move(reservation.Start, reservation.ReleaseAt);
            await claims.SetReservedPeakAsync(group.Key,
                HostTimeline.Peak(others.Slots.Concat(group.Select(x => x.Interval)).ToList(), now, DateTimeOffset.MaxValue), ct);
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return reservation;
    }

    /// <summary>
    /// Free and reserved capacity of a zone over time (GET /v1/capacity): what the timeline holds for everyone, so a
    /// tenant can find a window before asking for one.
    /// </summary>
    public async Task<(IReadOnlyList<CapacityPoint> Points, int Hosts)> CapacityAsync(Guid zoneId, DateTimeOffset from, DateTimeOffset to,
                                                                                       TimeSpan step, CancellationToken ct)
    {
        var timelines = await timelineCache.TimelinesAsync(db, LiveHostsOf(zoneId),
                                                           from, to + TimeSpan.FromTicks(1), ct);
        return (CapacityView.Series(timelines, db.Clock.GetUtcNow(), from, to, step), timelines.Count);
    }

    /// <summary>Recomputes a host's reserved peak from now on (after slots ended or moved). Caller holds a transaction.</summary>
    public async Task RefreshPeakAsync(Guid hostId, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        await claims.LockTimelineAsync(hostId, ct);
        var slots = await db.ReservationSlots.AsNoTracking().Where(s => s.HostId == hostId && s.End > now)
            .Select(s => new Interval(s.Start, s.End, s.Resources)).ToListAsync(ct);
        await claims.SetReservedPeakAsync(hostId, HostTimeline.Peak(slots, now, DateTimeOffset.MaxValue), ct);
    }

    /// <summary>The zone's hosts that can hold anything now: enabled and powered on.</summary>
    private static Expression<Func<Host, bool>> LiveHostsOf(Guid zoneId) =>
        h => h.ZoneId == zoneId && h.State == HostState.Enabled && h.Power == HostPower.On;

    /// <summary>One host per slot, planned on the committed timelines of the eligible hosts, or null when they cannot hold it.</summary>
    private async Task<IReadOnlyList<Guid>?> PlanAsync(ReservationRequest r, HashSet<Guid> eligible, DateTimeOffset start, DateTimeOffset releaseAt,
                                                      CancellationToken ct)
    {
        // The state is re-checked on the rows themselves: the snapshot that chose the eligible hosts may be a moment old.
        var timelines = await timelineCache.TimelinesAsync(db, LiveHostsOf(r.ZoneId),
                                                           start, releaseAt, ct, eligible);
        return CapacityPlanner.Assign(timelines, r.Flavor.Resources, r.Count, start, releaseAt, r.Plan.PlacementStrategy);
    }

    /// <summary>
    /// Hosts of the zone that could hold the flavor under the plan at all (state, hypervisor capabilities, CPU, traits),
    /// from the placement snapshot: as fresh as a placement decision unless <paramref name="fresh"/> asks for a re-read.
    /// </summary>
    private async Task<HashSet<Guid>> EligibleHostsAsync(Flavor flavor, SlaPlan plan, Guid zoneId, bool fresh, CancellationToken ct)
    {
        var hosts = await snapshot.GetAsync(db, ct, fresh);
        var result = pipeline.Rank(PlacementRequests.ForReservation(flavor, plan, zoneId), hosts);
        return result.Ranked.Select(h => h.Host.Id).ToHashSet();
    }

    private void Validate(DateTimeOffset start, DateTimeOffset end, DateTimeOffset now)
    {
        if (end <= start) throw new FieldValidationException("end", "'end' must be after 'start'.");
        if (end - start > Reservation.MaxDuration)
            throw new FieldValidationException("end", $"A reservation lasts at most {Reservation.MaxDuration.TotalDays:0} days.");
        if (start > now + TimeSpan.FromDays(Math.Max(1, options.Value.Scheduling.MaxAdvanceDays)))
            throw new FieldValidationException("start", $"A reservation may start at most {options.Value.Scheduling.MaxAdvanceDays} days ahead.");
    }

    private async Task<CapacityUnavailableException> UnavailableAsync(Guid zoneId, HashSet<Guid> hostIds, Resources demand, int count,
                                                                      DateTimeOffset start, DateTimeOffset releaseAt, int graceSeconds,
                                                                      CancellationToken ct)
    {
        var all = await timelineCache.TimelinesAsync(db, LiveHostsOf(zoneId),
                                                     start, DateTimeOffset.MaxValue, ct, hostIds);
        var room = CapacityPlanner.Room(all, demand, start, releaseAt);
        var earliest = CapacityPlanner.EarliestStart(all, demand, count, start, releaseAt - start,
            Math.Max(1, options.Value.Scheduling.EarliestWindowCandidates));
        var grace = TimeSpan.FromSeconds(graceSeconds);
        var detail = hostIds.Count == 0
            ? "No host in the zone can hold this flavor under this SLA plan."
            : $"Only {room} of {count} slot(s) fit on the zone's {hostIds.Count} eligible host(s) over the whole window (end + grace included)."
              + (earliest is { } at ? $" The earliest window of the same length that fits starts at {at:u}." : " No window of the same length fits within the reservations booked so far.");
        return new CapacityUnavailableException(detail, earliest, earliest is { } s ? s + (releaseAt - start) - grace : null);
    }

    private static CapacityUnavailableException RescheduleUnavailable(Reservation reservation) =>
        new(
            $"The hosts holding reservation '{reservation.Name}' cannot keep its {reservation.Count} slot(s) over the new window " +
            $"[{reservation.Start:u}, {reservation.End:u}) plus {reservation.GraceSeconds} s grace: other reservations or instances take that capacity.",
            null, null);

    private async Task<IReadOnlyList<string>> ExceededAsync(Guid tenantId, Usage extra, CancellationToken ct)
    {
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tenantId, ct) ?? throw new NotFoundException("tenant", tenantId);
        return Tenant.Exceeds(tenant.Quotas, tenant.Usage, extra);
    }

    /// <summary>A host's timeline changed between the plan and its lock: plan again.</summary>
    private sealed class TimelineMovedException() : Exception("A host's timeline changed while the reservation was being booked.");
}
