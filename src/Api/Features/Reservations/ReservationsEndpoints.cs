using System.Globalization;
using System.Text.Json.Serialization;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Reservations;
using IaasApi.Infrastructure;
using IaasApi.Infrastructure.Placement;
using IaasApi.Infrastructure.Reservations;
using Microsoft.Extensions.Options;

namespace IaasApi.Api.Features.Reservations;

/// <param name="GraceSeconds">After <c>end</c>, how long the instances keep running before the on-end action (default
/// <c>Iaas:Scheduling:DefaultGraceSeconds</c>); the capacity is held until then.</param>
public sealed record CreateReservationRequest(string? Name, Guid? FlavorId, int? Count, Guid? ZoneId, DateTimeOffset? Start, DateTimeOffset? End,
                                              Guid? SlaPlanId, OnEndAction? OnEnd, bool? AutoStart, int? GraceSeconds, Guid? TenantId);

public sealed record UpdateReservationRequest(DateTimeOffset? Start, DateTimeOffset? End);

public sealed record SlotsDto(int Total, int Free, int InUse,
                              [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<Guid>? HostIds);

public sealed record ReservationResponse(
    Guid Id, string Name, Guid TenantId, Guid? FlavorId, Guid? SlaPlanId, Guid? ZoneId, int Count, ResourcesDto Resources,
    DateTimeOffset Start, DateTimeOffset End, int GraceSeconds, DateTimeOffset ReleaseAt, OnEndAction OnEnd, bool AutoStart,
    ReservationStatus Status, SlotsDto Slots, DateTimeOffset? NoticeGivenAt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary><c>slots.free</c>: slots no instance was created for; <c>inUse</c>: slots an instance runs in. Hosts: admins only.</summary>
    public static ReservationResponse From(Reservation r, int inUse, IReadOnlyList<Guid>? hostIds) => new(r.Id, r.Name, r.TenantId, r.FlavorId,
        r.SlaPlanId, r.ZoneId, r.Count, ResourcesDto.From(r.Resources), r.Start, r.End, r.GraceSeconds, r.ReleaseAt, r.OnEnd, r.AutoStart,
        r.Status, new SlotsDto(r.Count, r.UnitsFree, inUse, hostIds), r.NoticeGivenAt, r.StartedAt, r.EndedAt, r.CreatedAt, r.UpdatedAt);
}

public sealed record CapacityResponse(Guid ZoneId, int Hosts, DateTimeOffset From, DateTimeOffset To, int StepSeconds,
                                      IReadOnlyList<CapacityPoint> Points);

public sealed class CreateReservationValidator : AbstractValidator<CreateReservationRequest>
{
    public CreateReservationValidator()
    {
        RuleFor(x => x.Name).ValidName();
        RuleFor(x => x.FlavorId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.ZoneId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.SlaPlanId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.Count).NotNull().InclusiveBetween(1, Reservation.MaxCount);
        RuleFor(x => x.Start).NotNull();
        RuleFor(x => x.End).NotNull();
        RuleFor(x => x.End).GreaterThan(x => x.Start).When(x => x.Start is not null && x.End is not null)
            .WithMessage("'end' must be after 'start'.");
        RuleFor(x => x.GraceSeconds).InclusiveBetween(0, Limits.MaxGraceSeconds);
    }
}

public sealed class UpdateReservationValidator : AbstractValidator<UpdateReservationRequest>
{
    public UpdateReservationValidator()
    {
        RuleFor(x => x).Must(x => x.Start is not null || x.End is not null).WithName("body")
            .WithMessage("Name a new 'start' and/or 'end'.");
        RuleFor(x => x.End).GreaterThan(x => x.Start).When(x => x.Start is not null && x.End is not null)
            .WithMessage("'end' must be after 'start'.");
    }
}

/// <summary>
/// Advance reservations (leases): capacity for <c>count</c> instances of a flavor in a zone, guaranteed over
/// [start, end), or 409 <c>capacity-unavailable</c> with the earliest window that fits. Tenant-owned; another
/// tenant's is a 404. The capacity timeline (<c>GET /v1/capacity</c>) shows where windows are free.
/// </summary>
public static class ReservationsEndpoints
{
    private const string Resource = "reservation";

    public static void MapReservations(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/reservations").WithTags("Reservations");
        group.MapPost("/", Create).Validate<CreateReservationRequest>().WithName("CreateReservation")
             .ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/", List).WithName("ListReservations");
        group.MapGet("/{id:guid}", Get).WithName("GetReservation").ProducesProblem(404);
        group.MapPatch("/{id:guid}", Update).Validate<UpdateReservationRequest>().WithName("UpdateReservation")
             .ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
        group.MapDelete("/{id:guid}", Cancel).WithName("CancelReservation")
             .ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
        v1.MapGet("/capacity", Capacity).WithTags("Reservations").WithName("GetCapacity")
          .ProducesProblem(400).ProducesProblem(404);
    }

    private static async Task<Created<ReservationResponse>> Create(CreateReservationRequest req, Caller caller, IaasDbContext db,
                                                                   CatalogCache catalog, ReservationBook book, ReservationClock clock,
                                                                   IOptions<IaasOptions> options, HttpContext http, CancellationToken ct)
    {
        var tenantId = await TenantFor(req.TenantId, caller, db, ct);
        var flavor = await catalog.FlavorAsync(db, req.FlavorId!.Value, ct);
        var plan = await catalog.PlanAsync(db, req.SlaPlanId!.Value, ct);
        await db.Zones.AsNoTracking().GetAsync(req.ZoneId!.Value, "zone", ct);
        if (!plan.Offers(ProvisioningScheme.Reservation))
            throw new SchemeNotAllowedException($"SLA plan '{plan.Name}' does not offer the 'reservation' scheme; it offers: " +
                                                $"{string.Join(", ", plan.Schemes.Select(EnumWords.ToWord))}.", plan.Schemes.Select(EnumWords.ToWord).ToList());
        var now = db.Clock.GetUtcNow();
        if (req.End!.Value <= now) throw new FieldValidationException("end", "'end' must be in the future.");
        var reservation = await book.CreateAsync(new ReservationRequest(tenantId, req.Name!, flavor, plan, req.ZoneId!.Value, req.Count!.Value,
            req.Start!.Value, req.End.Value, req.OnEnd ?? OnEndAction.Delete, req.AutoStart ?? true,
            req.GraceSeconds ?? Math.Clamp(options.Value.Scheduling.DefaultGraceSeconds, 0, Limits.MaxGraceSeconds)), ct);
        // A window that starts now is started at once rather than at the next tick.
        if (reservation.Start <= db.Clock.GetUtcNow() && await clock.ActivateAsync(reservation.Id, ct))
            reservation = await db.Reservations.AsNoTracking().SingleAsync(r => r.Id == reservation.Id, ct);
        return Store.Created(http, $"/v1/reservations/{reservation.Id}", reservation.Version, await ResponseAsync(db, reservation, caller, ct));
    }

    private static async Task<Page<ReservationResponse>> List(Caller caller, IaasDbContext db, int? limit, string? pageToken, Guid? tenantId,
                                                             string? status, Guid? zoneId, HttpContext http, CancellationToken ct)
    {
        var query = db.Reservations.AsNoTracking();
        query = caller.TenantId is { } own ? query.Where(r => r.TenantId == own)
            : tenantId is not null ? query.Where(r => r.TenantId == tenantId) : query;
        if (QueryValues.Enum<ReservationStatus>(status, "status") is { } s) query = query.Where(r => r.Status == s);
        if (zoneId is not null) query = query.Where(r => r.ZoneId == zoneId);
        var page = await Paging.PageAsync(http, query, limit, pageToken, r => r, ct);
        var ids = page.Items.Select(r => r.Id).ToList();
        var inUse = await db.ReservationSlots.AsNoTracking().Where(s => ids.Contains(s.ReservationId) && s.InstanceId != null)
            .GroupBy(s => s.ReservationId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        return new Page<ReservationResponse>(page.Items.Select(r => ReservationResponse.From(r, inUse.GetValueOrDefault(r.Id), null)).ToList(),
            page.NextPageToken);
    }

    private static async Task<Ok<ReservationResponse>> Get(Guid id, Caller caller, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var reservation = await FindVisibleAsync(db, caller, id, ct);
        return Store.Ok(http, reservation.Version, await ResponseAsync(db, reservation, caller, ct));
    }

    /// <summary>Extend, shorten or move the window (before the start); every other guarantee holds or nothing changes (409).</summary>
    private static async Task<Ok<ReservationResponse>> Update(Guid id, UpdateReservationRequest req, Caller caller, IaasDbContext db,
                                                              ReservationBook book, HttpContext http, CancellationToken ct)
    {
        var before = await FindVisibleAsync(db, caller, id, ct);
        ETags.CheckIfMatch(http, before.Version);
        var expected = http.Request.Headers.IfMatch.Count > 0 ? before.Version : (long?)null;
        var reservation = await book.RescheduleAsync(id, caller.TenantId, req.Start, req.End, expected, ct);
        return Store.Ok(http, reservation.Version, await ResponseAsync(db, reservation, caller, ct));
    }

    /// <summary>
    /// Cancels: before the start the capacity simply returns; after it the on-end action runs now (no grace). Instances
    /// waiting for it fail. 200 with the reservation, now <c>cancelled</c>.
    /// </summary>
    private static async Task<Ok<ReservationResponse>> Cancel(Guid id, Caller caller, IaasDbContext db, ReservationClock clock, HttpContext http,
                                                              CancellationToken ct)
    {
        var before = await FindVisibleAsync(db, caller, id, ct);
        ETags.CheckIfMatch(http, before.Version);
        await clock.CloseAsync(id, cancel: true, ct);
        db.ChangeTracker.Clear();
        var reservation = await db.Reservations.AsNoTracking().SingleAsync(r => r.Id == id, ct);
        return Store.Ok(http, reservation.Version, await ResponseAsync(db, reservation, caller, ct));
    }

    /// <summary>
    /// GET /v1/capacity?zoneId=&amp;from=&amp;to=&amp;step=: usable, allocated, reserved and free capacity of a zone's enabled
    /// hosts per resource, every <c>step</c> (seconds, or 30m / 1h / 1d) from <c>from</c> (default now) to <c>to</c>
    /// (default from + 24 h); at most 1,000 points.
    /// </summary>
    private static async Task<Ok<CapacityResponse>> Capacity(Guid? zoneId, string? from, string? to, string? step, IaasDbContext db,
                                                             ReservationBook book, CancellationToken ct)
    {
        if (zoneId is not { } zone || zone == Guid.Empty) throw new FieldValidationException("zoneId", "'zoneId' is required.");
        await db.Zones.AsNoTracking().GetAsync(zone, "zone", ct);
        var now = db.Clock.GetUtcNow();
        var start = Instant(from, "from", now) ?? now;
        var end = Instant(to, "to", now) ?? start + TimeSpan.FromDays(1);
        var stride = Durations.Parse(step, "step", TimeSpan.FromMinutes(1), TimeSpan.FromDays(366)) ?? TimeSpan.FromHours(1);
        if (end < start) throw new FieldValidationException("to", "'to' must not be before 'from'.");
        if ((end - start) / stride > 999)
            throw new FieldValidationException("step", $"That is {(long)((end - start) / stride) + 1} points; at most 1,000 (use a larger step).");
        var (points, hosts) = await book.CapacityAsync(zone, start, end, stride, ct);
        return TypedResults.Ok(new CapacityResponse(zone, hosts, start, end, (int)stride.TotalSeconds, points));
    }

    /// <summary>An ISO 8601 instant within ten years of now (the timeline holds nothing further away).</summary>
    private static DateTimeOffset? Instant(string? value, string field, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            throw new FieldValidationException(field, $"'{field}' must be an ISO 8601 date-time (e.g. 2026-12-01T09:00:00Z).");
        if (t < now - TimeSpan.FromDays(3653) || t > now + TimeSpan.FromDays(3653))
            throw new FieldValidationException(field, $"'{field}' must be within ten years of now.");
        return t;
    }

    /// <summary>Seconds ("900"), or a number with a unit: s, m, h, d ("15m", "1h", "1d"). At least 60 s.</summary>
    private static async Task<Reservation> FindVisibleAsync(IaasDbContext db, Caller caller, Guid id, CancellationToken ct)
    {
        var reservation = await db.Reservations.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        return reservation is not null && caller.CanSee(reservation.TenantId) ? reservation : throw new NotFoundException(Resource, id);
    }

    private static async Task<ReservationResponse> ResponseAsync(IaasDbContext db, Reservation r, Caller caller, CancellationToken ct)
    {
        var slots = await db.ReservationSlots.AsNoTracking().Where(s => s.ReservationId == r.Id).Select(s => new { s.HostId, s.InstanceId }).ToListAsync(ct);
        return ReservationResponse.From(r, slots.Count(s => s.InstanceId != null), caller.IsAdmin ? slots.Select(s => s.HostId).ToList() : null);
    }

    private static async Task<Guid> TenantFor(Guid? requested, Caller caller, IaasDbContext db, CancellationToken ct)
    {
        if (caller.TenantId is { } own)
        {
            if (requested is { } other && other != own) throw new NotFoundException("tenant", other);
            return own;
        }
        var tenantId = requested ?? throw new FieldValidationException("tenantId", "Admin keys reserve for a tenant: 'tenantId' is required.");
        await db.Tenants.AsNoTracking().GetAsync(tenantId, "tenant", ct);
        return tenantId;
    }
}
