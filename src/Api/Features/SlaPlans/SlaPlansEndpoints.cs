using IaasApi.Domain.Catalog;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Api.Features.SlaPlans;

/// <summary>Create and merge-patch share one shape: on create, absent fields take the documented defaults.</summary>
public sealed record SlaPlanRequest(string? Name, int? Priority, IReadOnlyList<ProvisioningScheme>? Schemes, bool? Preemptible,
                                    PlacementStrategy? PlacementStrategy, double? AvailabilityTarget, int? MaxProvisioningSeconds,
                                    decimal? PricePerHour, double? PenaltyPercent, IReadOnlyList<string>? RequiredCapabilities = null,
                                    MigrationPolicyDto? MigrationPolicy = null);

/// <summary>How live migrations of the plan's instances converge; an absent field keeps the cloud's default (Iaas:Migration).</summary>
/// <param name="AllowCold">A drain may cold-migrate a running instance of the plan that cannot move live (default false).</param>
public sealed record MigrationPolicyDto(int? MaxDowntimeMs, ConvergenceEscalation? Escalation, double? TimeoutSecondsPerGiB, bool? AllowCold = null);

public sealed record SlaPlanResponse(Guid Id, string Name, int Priority, IReadOnlyList<ProvisioningScheme> Schemes, bool Preemptible,
                                     PlacementStrategy PlacementStrategy, double AvailabilityTarget, int MaxProvisioningSeconds,
                                     decimal PricePerHour, double PenaltyPercent, IReadOnlyList<string> RequiredCapabilities,
                                     DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, MigrationPolicyDto MigrationPolicy)
{
    public static SlaPlanResponse From(SlaPlan p) => new(p.Id, p.Name, p.Priority, p.Schemes, p.Preemptible, p.PlacementStrategy,
        p.AvailabilityTarget, p.MaxProvisioningSeconds, p.PricePerHour, p.PenaltyPercent, p.RequiredCapabilities, p.CreatedAt, p.UpdatedAt,
        new MigrationPolicyDto(p.MigrationMaxDowntimeMs, p.MigrationEscalation, p.MigrationTimeoutSecondsPerGiB, p.MigrationAllowCold));
}

public sealed class SlaPlanValidator : AbstractValidator<SlaPlanRequest>
{
    public SlaPlanValidator()
    {
        RuleFor(x => x.Name).ValidOptionalName();
        RuleFor(x => x.Priority).InclusiveBetween(0, SlaPlan.MaxPriority);
        RuleFor(x => x.Schemes).Must(s => s is null || (s.Count > 0 && s.Distinct().Count() == s.Count))
            .WithMessage("'Schemes' must list at least one scheme, each once.");
        RuleFor(x => x.AvailabilityTarget).InclusiveBetween(0, 100);
        RuleFor(x => x.MaxProvisioningSeconds).InclusiveBetween(1, 7 * 24 * 3600);
        RuleFor(x => x.PricePerHour).InclusiveBetween(0m, 1_000_000m);
        RuleFor(x => x.PenaltyPercent).InclusiveBetween(0, 100);
        RuleForEach(x => x.RequiredCapabilities).Must(c => CapabilityNames.All.Contains(c))
            .WithMessage($"Capabilities are: {string.Join(", ", CapabilityNames.All)}.");
        RuleFor(x => x.MigrationPolicy!.MaxDowntimeMs).InclusiveBetween(1, 600_000).When(x => x.MigrationPolicy is not null)
            .OverridePropertyName("migrationPolicy.maxDowntimeMs");
        RuleFor(x => x.MigrationPolicy!.TimeoutSecondsPerGiB).InclusiveBetween(1, 86_400).When(x => x.MigrationPolicy is not null)
            .OverridePropertyName("migrationPolicy.timeoutSecondsPerGiB");
    }
}

public static class SlaPlansEndpoints
{
    private const string Resource = "sla-plan";

    public static void MapSlaPlans(this RouteGroupBuilder v1)
    {
        v1.MapCatalog<SlaPlanRequest, SlaPlanRequest>("/sla-plans", "SlaPlans", "SlaPlan", "SlaPlans", new CatalogHandlers(List, Get, Create, Update, Delete));
    }

    private static Task<Page<SlaPlanResponse>> List(IaasDbContext db, int? limit, string? pageToken, string? name, HttpContext http, CancellationToken ct) =>
        Paging.PageAsync(http, db.SlaPlans.AsNoTracking().Where(p => name == null || p.Name == name), limit, pageToken, SlaPlanResponse.From, ct);

    private static Task<Ok<SlaPlanResponse>> Get(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        db.SlaPlans.OkAsync(id, Resource, http, SlaPlanResponse.From, ct);

    private static async Task<Created<SlaPlanResponse>> Create(SlaPlanRequest req, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        // The one field a create needs that a patch does not; the shared validator checks its shape.
        if (string.IsNullOrEmpty(req.Name)) throw new FieldValidationException("name", "'Name' must not be empty.");
        await db.SlaPlans.EnsureNameFreeAsync(p => p.Name == req.Name, Resource, req.Name!, null, ct);
        var plan = new SlaPlan(req.Name!, db.Clock.GetUtcNow())
        {
            Priority = 100,
            AvailabilityTarget = 99.0,
            MaxProvisioningSeconds = 300,
            PlacementStrategy = PlacementStrategy.Spread,
        };
        Apply(plan, req);
        return await Store.AddAsync(db, plan, "/v1/sla-plans", SlaPlanResponse.From, http, ct);
    }

    private static async Task<Ok<SlaPlanResponse>> Update(Guid id, CatalogCache cache, SlaPlanRequest req, IaasDbContext db, HttpContext http,
                                                          CancellationToken ct)
    {
        var updated = await Store.PatchAsync<SlaPlan, SlaPlanResponse>(db, id, Resource, http, async plan =>
        {
            if (req.Name is { } name && name != plan.Name)
                await db.SlaPlans.EnsureNameFreeAsync(p => p.Name == name, Resource, name, id, ct);
            Apply(plan, req);
        }, SlaPlanResponse.From, ct);
        cache.Invalidate(id);
        return updated;
    }

    private static void Apply(SlaPlan plan, SlaPlanRequest req)
    {
        if (req.Name is { } name) plan.Name = name;
        if (req.Priority is { } priority) plan.Priority = priority;
        if (req.Schemes is { } schemes) plan.Schemes = schemes.ToList();
        if (req.Preemptible is { } preemptible) plan.Preemptible = preemptible;
        if (req.PlacementStrategy is { } strategy) plan.PlacementStrategy = strategy;
        if (req.AvailabilityTarget is { } availability) plan.AvailabilityTarget = availability;
        if (req.MaxProvisioningSeconds is { } max) plan.MaxProvisioningSeconds = max;
        if (req.PricePerHour is { } price) plan.PricePerHour = price;
        if (req.PenaltyPercent is { } penalty) plan.PenaltyPercent = penalty;
        if (req.RequiredCapabilities is { } capabilities) plan.RequiredCapabilities = capabilities.Distinct().Order(StringComparer.Ordinal).ToList();
        if (req.MigrationPolicy is { } policy)
        {
            if (policy.MaxDowntimeMs is { } downtime) plan.MigrationMaxDowntimeMs = downtime;
            if (policy.Escalation is { } escalation) plan.MigrationEscalation = escalation;
            if (policy.TimeoutSecondsPerGiB is { } timeout) plan.MigrationTimeoutSecondsPerGiB = timeout;
            if (policy.AllowCold is { } allowCold) plan.MigrationAllowCold = allowCold;
        }
    }

    private static async Task<NoContent> Delete(Guid id, CatalogCache cache, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var result = await Store.DeleteAsync<SlaPlan>(db, http, id, Resource, async () =>
        {
            var live = await db.Instances.CountAsync(i => i.SlaPlanId == id && i.Status != InstanceStatus.Deleted, ct);
            return live > 0 ? $"{live} instance(s) run under it" : null;
        }, ct);
        cache.Invalidate(id);
        return result;
    }
}
