using Host = IaasApi.Domain.Inventory.Host;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Instances;
using IaasApi.Infrastructure.Operations;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Api.Features.Hosts;

public sealed record CapacityDto(int? Vcpus, int? MemoryMiB, int? DiskGiB, int? NetworkMbps);
public sealed record ReservedDto(int? Vcpus, int? MemoryMiB, int? DiskGiB);
public sealed record RatiosDto(double? Cpu, double? Memory, double? Disk);

public sealed record CreateHostRequest(string? Name, Guid? ZoneId, string? Hypervisor, CapacityDto? Capacity, ReservedDto? Reserved,
                                       RatiosDto? AllocationRatios, string? CpuModel, IReadOnlyList<string>? CpuFeatures,
                                       IReadOnlyList<string>? Traits);

public sealed record UpdateHostRequest(HostState? State, RatiosDto? AllocationRatios, ReservedDto? Reserved, IReadOnlyList<string>? Traits);

public sealed record ReservedResponse(int Vcpus, int MemoryMiB, int DiskGiB);
public sealed record RatiosResponse(double Cpu, double Memory, double Disk);

public sealed record HostResponse(
    Guid Id, string Name, Guid ZoneId, Guid RegionId, string Hypervisor, ResourcesDto Capacity, ReservedResponse Reserved,
    RatiosResponse AllocationRatios, ResourcesDto Allocated, ResourcesDto Usable, int InstanceCount, HostState State, HostPower Power,
    string? CpuModel, IReadOnlyList<string> CpuFeatures, IReadOnlyList<string> Traits, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    HostTimelineDto Timeline, DateTimeOffset? LastHeartbeatAt, DateTimeOffset? DownSince, ReportedInventoryDto? Reported, Guid? OperationId = null)
{
    public static HostResponse From(Host h) => new(h.Id, h.Name, h.ZoneId, h.RegionId, h.Hypervisor, ResourcesDto.From(h.Capacity),
        new ReservedResponse(h.Reserved.Vcpus, h.Reserved.MemoryMiB, h.Reserved.DiskGiB),
        new RatiosResponse(h.AllocationRatios.Cpu, h.AllocationRatios.Memory, h.AllocationRatios.Disk),
        ResourcesDto.From(h.Allocated),
        new ResourcesDto(
            (int)Host.Usable(h.Capacity.Vcpus, h.Reserved.Vcpus, h.AllocationRatios.Cpu),
            (int)Host.Usable(h.Capacity.MemoryMiB, h.Reserved.MemoryMiB, h.AllocationRatios.Memory),
            (int)Host.Usable(h.Capacity.DiskGiB, h.Reserved.DiskGiB, h.AllocationRatios.Disk),
            h.Capacity.NetworkMbps),
        h.InstanceCount, h.State, h.Power, h.CpuModel, h.CpuFeatures, h.Traits, h.CreatedAt, h.UpdatedAt,
        new HostTimelineDto(ResourcesDto.From(h.PreemptibleAllocated), ResourcesDto.From(h.SlotAllocated), ResourcesDto.From(h.IdleReserved),
            ResourcesDto.From(h.ReservedPeak)), h.LastHeartbeatAt, h.DownSince,
        h.ReportedVcpus is not null || h.ReconciledAt is not null
            ? new ReportedInventoryDto(h.ReportedVcpus, h.ReportedMemoryMiB, h.ReportedDiskGiB, h.UnmanagedVms, h.ReconciledAt) : null);
}

/// <summary>
/// What the host's agent reports: its hardware, and — from its last comparison with the database (<c>reconciledAt</c>)
/// — the VMs it runs that the control plane does not know there (<c>unmanagedVms</c>, instance ids; an operator decides).
/// </summary>
public sealed record ReportedInventoryDto(int? Vcpus, int? MemoryMiB, int? DiskGiB, IReadOnlyList<Guid> UnmanagedVms, DateTimeOffset? ReconciledAt);

/// <summary>
/// How the host's allocation is held on the capacity timeline (docs/scheduling.md): by preemptible instances (borrowed),
/// by instances in reservation slots, started reservations' unused slots (idle), and the most its reservations hold
/// at any instant from now on (reservedPeak).
/// </summary>
public sealed record HostTimelineDto(ResourcesDto Preemptible, ResourcesDto InSlots, ResourcesDto IdleReserved, ResourcesDto ReservedPeak);

public sealed class CreateHostValidator : AbstractValidator<CreateHostRequest>
{
    public CreateHostValidator()
    {
        RuleFor(x => x.Name).NotEmpty().Matches(Rules.HostNamePattern)
            .WithMessage("'Name' must be a lowercase DNS label (a-z, 0-9, '-', at most 63 characters): it names the host's agent queue.");
        RuleFor(x => x.ZoneId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.Hypervisor).NotEmpty().Must(h => HypervisorDrivers.KnownKinds.Contains(h!))
            .WithMessage($"'Hypervisor' must be one of: {string.Join(", ", HypervisorDrivers.KnownKinds)}.");
        RuleFor(x => x.Capacity).NotNull().SetValidator(new CapacityValidator()!);
        When(x => x.Reserved is not null, () => RuleFor(x => x.Reserved!).SetValidator(new ReservedValidator()));
        When(x => x.AllocationRatios is not null, () => RuleFor(x => x.AllocationRatios!).SetValidator(new RatiosValidator()));
        RuleFor(x => x.CpuModel).MaximumLength(Limits.ShortTextMaxLength).PlainText();
        RuleFor(x => x.CpuFeatures).ValidTags();
        RuleFor(x => x.Traits).ValidTags();
    }
}

public sealed class UpdateHostValidator : AbstractValidator<UpdateHostRequest>
{
    public UpdateHostValidator()
    {
        RuleFor(x => x.State).Must(s => s is null or HostState.Enabled or HostState.Disabled)
            .WithMessage("'State' can be set to 'enabled' or 'disabled'; maintenance and down have their own actions.");
        When(x => x.Reserved is not null, () => RuleFor(x => x.Reserved!).SetValidator(new ReservedValidator()));
        When(x => x.AllocationRatios is not null, () => RuleFor(x => x.AllocationRatios!).SetValidator(new RatiosValidator()));
        RuleFor(x => x.Traits).ValidTags();
    }
}

public sealed class CapacityValidator : AbstractValidator<CapacityDto>
{
    public CapacityValidator()
    {
        RuleFor(x => x.Vcpus).Between(1, Limits.MaxVcpus);
        RuleFor(x => x.MemoryMiB).Between(1, Limits.MaxMemoryMiB);
        RuleFor(x => x.DiskGiB).Between(0, Limits.MaxDiskGiB);
        RuleFor(x => x.NetworkMbps).InclusiveBetween(0, Limits.MaxNetworkMbps);
    }
}

public sealed class ReservedValidator : AbstractValidator<ReservedDto>
{
    public ReservedValidator()
    {
        RuleFor(x => x.Vcpus).InclusiveBetween(0, Limits.MaxVcpus);
        RuleFor(x => x.MemoryMiB).InclusiveBetween(0, Limits.MaxMemoryMiB);
        RuleFor(x => x.DiskGiB).InclusiveBetween(0, Limits.MaxDiskGiB);
    }
}

public sealed class RatiosValidator : AbstractValidator<RatiosDto>
{
    public RatiosValidator()
    {
        RuleFor(x => x.Cpu).GreaterThan(0).LessThanOrEqualTo(Limits.MaxAllocationRatio);
        RuleFor(x => x.Memory).GreaterThan(0).LessThanOrEqualTo(Limits.MaxAllocationRatio);
        RuleFor(x => x.Disk).GreaterThan(0).LessThanOrEqualTo(Limits.MaxAllocationRatio);
    }
}

/// <summary>Compute hosts: inventory, so every route is admin-only.</summary>
public static class HostsEndpoints
{
    private const string Resource = "host";

    public static void MapHosts(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/hosts").WithTags("Hosts").RequireAuthorization(AuthorizationPolicies.Admin);
        group.MapGet("/", List).WithName("ListHosts");
        group.MapGet("/{id:guid}", Get).WithName("GetHost").ProducesProblem(404);
        group.MapPost("/", Create).Validate<CreateHostRequest>().WithName("CreateHost").ProducesProblem(404).ProducesProblem(409);
        group.MapPatch("/{id:guid}", Update).Validate<UpdateHostRequest>().WithName("UpdateHost").ProducesProblem(404).ProducesProblem(412);
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteHost").ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
        group.MapPost("/{id:guid}/actions/enter-maintenance", EnterMaintenance).WithName("EnterMaintenance")
             .ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/{id:guid}/actions/exit-maintenance", ExitMaintenance).WithName("ExitMaintenance")
             .ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/{id:guid}/actions/power-off", PowerOff).WithName("PowerOffHost")
             .ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/{id:guid}/actions/power-on", PowerOn).WithName("PowerOnHost")
             .ProducesProblem(404).ProducesProblem(409);
    }

    /// <summary><c>?trait=</c> keeps the hosts that have the trait (as placement's <c>traits</c> filter reads it).</summary>
    private static Task<Page<HostResponse>> List(IaasDbContext db, int? limit, string? pageToken, Guid? zoneId, Guid? regionId, string? state,
                                                 string? hypervisor, string? name, string? trait, HttpContext http, CancellationToken ct)
    {
        var hostState = QueryValues.Enum<HostState>(state, "state");
        return Paging.PageAsync(http, db.Hosts.AsNoTracking().Where(h => (zoneId == null || h.ZoneId == zoneId) && (regionId == null || h.RegionId == regionId)
                && (hostState == null || h.State == hostState) && (hypervisor == null || h.Hypervisor == hypervisor) && (name == null || h.Name == name)
                && (trait == null || h.Traits.Contains(trait))),
            limit, pageToken, HostResponse.From, ct);
    }

    private static Task<Ok<HostResponse>> Get(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        db.Hosts.OkAsync(id, Resource, http, HostResponse.From, ct);

    private static async Task<Created<HostResponse>> Create(CreateHostRequest req, IaasDbContext db, QueuePasses passes, HttpContext http,
                                                            CancellationToken ct)
    {
        var zone = await db.Zones.AsNoTracking().GetAsync(req.ZoneId!.Value, "zone", ct);
        var c = req.Capacity!;
        var capacity = new Resources(c.Vcpus!.Value, c.MemoryMiB!.Value, c.DiskGiB!.Value, c.NetworkMbps ?? 0);
        var reserved = ReservedWithin(capacity, req.Reserved, Resources.Zero);
        var ratios = Merge(AllocationRatios.Default, req.AllocationRatios);
        await db.Hosts.EnsureNameFreeAsync(h => h.Name == req.Name, Resource, req.Name!, null, ct);
        var host = new Host(req.Name!, zone.Id, zone.RegionId, req.Hypervisor!, capacity, reserved, ratios, req.CpuModel,
            req.CpuFeatures ?? [], req.Traits ?? [], db.Clock.GetUtcNow());
        db.Hosts.Add(host);
        await db.SaveChangesAsync(ct);
        await passes.RequestAsync(CancellationToken.None);   // new capacity: the best-effort queue may start now
        return Store.Created(http, $"/v1/hosts/{host.Id}", host.Version, HostResponse.From(host));
    }

    /// <summary>
    /// PATCH races with capacity claims (each bumps the version). With If-Match the client chose the version: 412 on
    /// mismatch. Without it the patch is re-applied to a fresh read, so a busy host can still be disabled.
    /// </summary>
    private static async Task<Ok<HostResponse>> Update(Guid id, UpdateHostRequest req, IaasDbContext db, QueuePasses passes, HttpContext http,
                                                       CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var host = await db.Hosts.GetAsync(id, Resource, ct);
            ETags.CheckIfMatch(http, host.Version);
            if (req.State is { } state) host.SetState(state);
            if (req.AllocationRatios is not null) host.SetAllocationRatios(Merge(host.AllocationRatios, req.AllocationRatios));
            if (req.Reserved is not null) host.SetReserved(ReservedWithin(host.Capacity, req.Reserved, host.Reserved));
            if (req.Traits is not null) host.SetTraits(req.Traits);
            try
            {
                await db.SaveChangesAsync(ct);
                await passes.RequestAsync(CancellationToken.None);   // re-enabled or grown: the queue may start now
                return Store.Ok(http, host.Version, HostResponse.From(host));
            }
            catch (DbUpdateConcurrencyException) when (attempt < 5 && http.Request.Headers.IfMatch.Count == 0)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>
    /// The host stops taking placements and a <c>host.drain</c> operation live-migrates its running instances away
    /// (docs/migration.md → Maintenance). Idempotent: asked again while draining, the same operation is returned.
    /// </summary>
    private static async Task<Accepted<HostResponse>> EnterMaintenance(Guid id, IaasDbContext db, JobDispatcher dispatcher, HttpContext http,
                                                                       CancellationToken ct)
    {
        var host = await db.Hosts.GetAsync(id, Resource, ct);
        ETags.CheckIfMatch(http, host.Version);
        var running = await db.Operations.AsNoTracking()
            .Where(o => o.ResourceId == id && o.Kind == OperationKinds.HostDrain && o.Status == OperationStatus.Running).Select(o => (Guid?)o.Id)
            .FirstOrDefaultAsync(ct);
        if (host.State == HostState.Maintenance && running is { } existing)
            return TypedResults.Accepted($"/v1/hosts/{id}", HostResponse.From(host) with { OperationId = existing });
        host.EnterMaintenance();
        var op = new Operation(OperationKinds.HostDrain, "host", host.Id, null, null, db.Clock.GetUtcNow()) { Queue = JobDispatcher.ControlQueue };
        db.Operations.Add(op);
        await db.SaveChangesAsync(ct);
        await dispatcher.DispatchAsync(op, CancellationToken.None);
        ETags.Set(http, host.Version);
        return TypedResults.Accepted($"/v1/hosts/{id}", HostResponse.From(host) with { OperationId = op.Id });
    }

    /// <summary>Back in service; a drain still running stops (its migrations under way finish).</summary>
    private static async Task<Ok<HostResponse>> ExitMaintenance(Guid id, IaasDbContext db, QueuePasses passes, HttpContext http,
                                                                CancellationToken ct)
    {
        var host = await db.Hosts.GetAsync(id, Resource, ct);
        ETags.CheckIfMatch(http, host.Version);
        host.ExitMaintenance();
        var drains = await db.Operations.Where(o => o.ResourceId == id && o.Kind == OperationKinds.HostDrain && o.Status == OperationStatus.Running)
            .ToListAsync(ct);
        foreach (var drain in drains) drain.Cancel("The host left maintenance before it was drained.", db.Clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        await passes.RequestAsync(CancellationToken.None);
        return Store.Ok(http, host.Version, HostResponse.From(host));
    }

    /// <summary>Powers an empty host off (no placement from now on; placement wakes it again when it needs it).</summary>
    private static async Task<Accepted<HostResponse>> PowerOff(Guid id, IaasDbContext db, HostPowerManager power, HttpContext http,
                                                               CancellationToken ct)
    {
        var host = await db.Hosts.AsNoTracking().GetAsync(id, Resource, ct);
        ETags.CheckIfMatch(http, host.Version);
        if (host.Power == HostPower.Off) return TypedResults.Accepted($"/v1/hosts/{id}", HostResponse.From(host));
        var op = await power.PowerOffAsync(id, "asked by an operator", null, ct);
        var now = await db.Hosts.AsNoTracking().SingleAsync(h => h.Id == id, ct);
        ETags.Set(http, now.Version);
        return TypedResults.Accepted($"/v1/hosts/{id}", HostResponse.From(now) with { OperationId = op.Id });
    }

    /// <summary>Boots a powered-off host; it takes placements at once (its work waits for the boot).</summary>
    private static async Task<Accepted<HostResponse>> PowerOn(Guid id, IaasDbContext db, HostPowerManager power, HttpContext http,
                                                              CancellationToken ct)
    {
        var host = await db.Hosts.AsNoTracking().GetAsync(id, Resource, ct);
        ETags.CheckIfMatch(http, host.Version);
        var running = await db.Operations.AsNoTracking()
            .Where(o => o.ResourceId == id && o.Kind == OperationKinds.HostPowerOn && o.Status == OperationStatus.Running)
            .Select(o => (Guid?)o.Id).FirstOrDefaultAsync(ct);
        var op = host.Power == HostPower.Off ? await power.BeginPowerOnAsync(id, "asked by an operator", ct) : null;
        var now = await db.Hosts.AsNoTracking().SingleAsync(h => h.Id == id, ct);
        ETags.Set(http, now.Version);
        return TypedResults.Accepted($"/v1/hosts/{id}", HostResponse.From(now) with { OperationId = op?.Id ?? running });
    }

    private static Task<NoContent> Delete(Guid id, IaasDbContext db, HttpContext http, CancellationToken ct) =>
        Store.DeleteAsync<Host>(db, http, id, Resource, async () =>
        {
            var live = await db.Instances.CountAsync(i => i.HostId == id && i.Status != InstanceStatus.Deleted, ct);
            return live > 0 ? $"{live} instance(s) are on it" : null;
        }, ct);

    private static AllocationRatios Merge(AllocationRatios current, RatiosDto? patch) =>
        patch is null ? current : new AllocationRatios(patch.Cpu ?? current.Cpu, patch.Memory ?? current.Memory, patch.Disk ?? current.Disk);

    private static Resources ReservedWithin(Resources capacity, ReservedDto? patch, Resources current)
    {
        if (patch is null) return current;
        var reserved = new Resources(patch.Vcpus ?? current.Vcpus, patch.MemoryMiB ?? current.MemoryMiB, patch.DiskGiB ?? current.DiskGiB, 0);
        if (reserved.Vcpus > capacity.Vcpus || reserved.MemoryMiB > capacity.MemoryMiB || reserved.DiskGiB > capacity.DiskGiB)
            throw new FieldValidationException("reserved", "Reserved resources cannot exceed the host's capacity.");
        return reserved;
    }
}
