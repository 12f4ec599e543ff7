using System.Text;
using System.Text.Json;
using IaasApi.Api.Features.ServerGroups;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Reservations;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Api.Features.Instances;

/// <param name="Scheme">immediate | best-effort | reservation; default: the first of those the plan offers (reservation
/// when <paramref name="ReservationId"/> is set).</param>
/// <param name="MaxWaitSeconds">Best-effort only: fail with <c>queue-timeout</c> if still queued after this long.</param>
/// <param name="ReservationId">Run in this reservation's slots (its flavor, zone and SLA plan).</param>
/// <param name="ClientToken">EC2's ClientToken: the create happens once per caller and token, with or without an
/// Idempotency-Key; a repeat gets the instances it made (1–64 printable ASCII characters).</param>
public sealed record CreateInstanceRequest(string? Name, Guid? FlavorId, Guid? ImageId, Guid? SlaPlanId, Guid? ZoneId, Guid? ServerGroupId,
                                           string? UserData, int? Count, Guid? TenantId, ProvisioningScheme? Scheme = null,
                                           int? MaxWaitSeconds = null, Guid? ReservationId = null, string? ClientToken = null);

public sealed class CreateInstanceValidator : AbstractValidator<CreateInstanceRequest>
{
    public CreateInstanceValidator()
    {
        RuleFor(x => x.Name).ValidName();
        RuleFor(x => x.Name).Must((req, name) => name is null || name.Length + 1 + (req.Count ?? 1).ToString().Length <= Limits.NameMaxLength)
            .When(x => x.Count > 1).WithMessage("With 'count' > 1 instances are named '<name>-<n>'; that must fit in 63 characters.");
        RuleFor(x => x.FlavorId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.ImageId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.SlaPlanId).NotNull().When(x => x.ReservationId is null)
            .WithMessage("'slaPlanId' is required (it may be left out only with 'reservationId', whose plan applies).");
        RuleFor(x => x.SlaPlanId).NotEqual(Guid.Empty);
        RuleFor(x => x.ReservationId).NotEqual(Guid.Empty);
        RuleFor(x => x.MaxWaitSeconds).InclusiveBetween(1, Limits.MaxWaitSeconds);
        RuleFor(x => x.MaxWaitSeconds).Null().When(x => x.Scheme is not ProvisioningScheme.BestEffort)
            .WithMessage("'maxWaitSeconds' applies to the best-effort scheme only (set \"scheme\": \"best-effort\").");
        RuleFor(x => x.Scheme).Must(s => s is null or ProvisioningScheme.Reservation).When(x => x.ReservationId is not null)
            .WithMessage("With 'reservationId' the scheme is 'reservation'.");
        RuleFor(x => x.ReservationId).NotNull().When(x => x.Scheme is ProvisioningScheme.Reservation)
            .WithMessage("The reservation scheme needs 'reservationId' (create one with POST /v1/reservations).");
        RuleFor(x => x.ServerGroupId).Null().When(x => x.ReservationId is not null)
            .WithMessage("Instances in a reservation run in its slots; server groups do not apply to them.");
        RuleFor(x => x.Count).InclusiveBetween(1, Limits.MaxBatchCount);
        RuleFor(x => x.UserData).Must(u => u is null || Encoding.UTF8.GetByteCount(u) <= Limits.UserDataMaxBytes)
            .WithMessage($"'userData' must be at most {Limits.UserDataMaxBytes} bytes.");
        RuleFor(x => x.UserData).PlainText();
        RuleFor(x => x.ClientToken).Matches(@"^[\x20-\x7E]{1,64}$").WithMessage("'clientToken' must be 1 to 64 printable ASCII characters.");
    }
}

/// <summary>
/// POST /v1/instances: resolve the references, then admit (quota + placement + claims + rows in one transaction),
/// then 202 with the instance in <c>building</c> and the operation to poll.
/// </summary>
public static class CreateInstance
{
    public static async Task<Results<Accepted<InstanceResponse>, Accepted<InstanceBatchResponse>>> Handle(
        CreateInstanceRequest req, Caller caller, IaasDbContext db, InstanceAdmission admissions, CatalogCache catalog, HttpContext http,
        CancellationToken ct)
    {
        var tenantId = await ResolveTenantAsync(req, caller, db, ct);
        var reservation = req.ReservationId is { } reservationId ? await ReservationFor(db, tenantId, reservationId, req, ct) : null;
        var flavor = await catalog.FlavorAsync(db, req.FlavorId!.Value, ct);
        var image = await catalog.ImageAsync(db, req.ImageId!.Value, ct);
        if (!image.IsVisibleTo(tenantId)) throw new NotFoundException("image", image.Id);
        var plan = await catalog.PlanAsync(db, req.SlaPlanId ?? reservation!.SlaPlanId ?? throw new NotFoundException("sla-plan", Guid.Empty), ct);
        var zoneId = reservation?.ZoneId ?? req.ZoneId;
        if (req.ZoneId is { } zone) await db.Zones.AsNoTracking().GetAsync(zone, "zone", ct);
        var group = req.ServerGroupId is { } groupId ? await ServerGroupsEndpoints.FindVisibleAsync(db, caller, groupId, ct) : null;
        if (group is not null && group.TenantId != tenantId) throw new NotFoundException("server-group", group.Id);

        EnsureCompatible(flavor, image, plan);
        var scheme = SchemeFor(req, plan);
        var now = db.Clock.GetUtcNow();

        var count = req.Count ?? 1;
        var once = ClientTokenOf(req, caller) ?? IdempotencyMiddleware.Of(http);
        Admission admission;
        try
        {
            admission = await admissions.AdmitAsync(new AdmissionRequest(tenantId, req.Name!, flavor, image, plan, zoneId, req.UserData,
                count, caller.Actor, once, group, ExplainRefusals: caller.IsAdmin, scheme,
                req.MaxWaitSeconds is { } wait ? now + TimeSpan.FromSeconds(wait) : null, reservation), ct);
        }
        catch (IdempotencyKeyReusedException) when (req.ClientToken is not null)
        {
            throw new IdempotencyKeyReusedException("This clientToken was already used with a different request; use a new clientToken for a new request.");
        }

        var items = admission.Instances.Select(i => InstanceResponse.From(i, caller.IsAdmin)).ToList();
        if (count == 1)
        {
            ETags.Set(http, admission.Instances[0].Version);
            return TypedResults.Accepted($"/v1/instances/{items[0].Id}", items[0]);
        }
        return TypedResults.Accepted($"/v1/operations/{admission.Operation.Id}", new InstanceBatchResponse(items, admission.Operation.Id));
    }

    /// <summary>
    /// A clientToken rides the Idempotency-Key's mechanism (recorded on the create's operation in the admission
    /// transaction, a unique column) in a scope of its own, so it never meets a header key. The request it must match is
    /// the create as bound (its meaning: unknown fields and spelling do not count). It wins over an Idempotency-Key sent
    /// with it, whose replay the middleware still answers.
    /// </summary>
    private static IdempotencyContext? ClientTokenOf(CreateInstanceRequest req, Caller caller) =>
        req.ClientToken is { } token
            ? new IdempotencyContext($"client-token:{caller.IdempotencyScope}", token,
                IdempotencyMiddleware.Hash(HttpMethods.Post, "/v1/instances", JsonSerializer.SerializeToUtf8Bytes(req)))
            : null;

    /// <summary>What a create (and a preview of one) refuses before placement: an image too big for the flavor's disk.</summary>
    public static void EnsureCompatible(Flavor flavor, Image image, SlaPlan plan)
    {
        if (image.MinDiskGiB > flavor.Resources.DiskGiB)
            throw new FieldValidationException("imageId",
                $"Image '{image.Name}' needs at least {image.MinDiskGiB} GiB of disk; flavor '{flavor.Name}' has {flavor.Resources.DiskGiB} GiB.");
    }

    /// <summary>The scheme asked for (409 <c>scheme-not-allowed</c> if the plan does not offer it), or the first the plan offers.</summary>
    public static ProvisioningScheme SchemeFor(CreateInstanceRequest req, SlaPlan plan)
    {
        var scheme = req.ReservationId is not null ? ProvisioningScheme.Reservation
            : req.Scheme ?? (plan.Offers(ProvisioningScheme.Immediate) ? ProvisioningScheme.Immediate
                : plan.Offers(ProvisioningScheme.BestEffort) ? ProvisioningScheme.BestEffort : ProvisioningScheme.Immediate);
        if (!plan.Offers(scheme))
            throw new SchemeNotAllowedException(
                $"SLA plan '{plan.Name}' does not offer the '{EnumWords.ToWord(scheme)}' scheme; it offers: {string.Join(", ", plan.Schemes.Select(EnumWords.ToWord))}.",
                plan.Schemes.Select(EnumWords.ToWord).ToList());
        return scheme;
    }

    /// <summary>
    /// The tenant's live reservation, and the request agrees with it: same flavor, and the same plan and zone if named.
    /// </summary>
    private static async Task<Reservation> ReservationFor(IaasDbContext db, Guid tenantId, Guid id, CreateInstanceRequest req, CancellationToken ct)
    {
        var reservation = await db.Reservations.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        if (reservation is null || reservation.TenantId != tenantId) throw new NotFoundException("reservation", id);
        if (!reservation.IsLive)
            throw new InvalidStateException($"Reservation '{reservation.Name}' is {EnumWords.ToWord(reservation.Status)}; no instance can start in it.");
        if (reservation.FlavorId != req.FlavorId)
            throw new FieldValidationException("flavorId", $"Reservation '{reservation.Name}' holds slots of flavor '{reservation.FlavorId}'; use that flavor.");
        if (req.SlaPlanId is { } plan && plan != reservation.SlaPlanId)
            throw new FieldValidationException("slaPlanId", $"Instances of reservation '{reservation.Name}' run under its SLA plan '{reservation.SlaPlanId}'.");
        if (req.ZoneId is { } zone && zone != reservation.ZoneId)
            throw new FieldValidationException("zoneId", $"Reservation '{reservation.Name}' is in zone '{reservation.ZoneId}'.");
        return reservation;
    }

    /// <summary>Tenant keys act for their own tenant; admin keys must name one.</summary>
    private static async Task<Guid> ResolveTenantAsync(CreateInstanceRequest req, Caller caller, IaasDbContext db, CancellationToken ct)
    {
        if (caller.TenantId is { } own)
        {
            if (req.TenantId is { } other && other != own) throw new NotFoundException("tenant", other);
            return own;
        }
        if (req.TenantId is not { } tenantId)
            throw new FieldValidationException("tenantId", "Admin keys create instances on a tenant's behalf: 'tenantId' is required.");
        return (await db.Tenants.AsNoTracking().GetAsync(tenantId, "tenant", ct)).Id;
    }
}
