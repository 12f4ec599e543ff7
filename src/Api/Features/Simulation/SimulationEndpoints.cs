using IaasApi.Infrastructure.Hypervisors.Fake;

namespace IaasApi.Api.Features.Simulation;

public sealed record InjectFaultRequest(FakeOperation? Operation, Guid? HostId, Guid? InstanceId, bool? Transient, int? Count, string? Message);

/// <summary>How the fake guest uses its memory (what pre-copy must chase): bounded by the instance's memory.</summary>
public sealed record GuestMemoryRequest(double? TouchedMiB, double? WorkingSetMiB, double? DirtyRateMiBps);

/// <summary>Cut a fake host off (true: its agent stops answering, driver calls to it fail) or bring it back (false).</summary>
public sealed record SilenceRequest(bool? Silent);

public sealed record SilenceResponse(Guid HostId, bool Silent);

public sealed class SilenceValidator : AbstractValidator<SilenceRequest>
{
    public SilenceValidator() => RuleFor(x => x.Silent).NotNull();
}

public sealed class GuestMemoryValidator : AbstractValidator<GuestMemoryRequest>
{
    public GuestMemoryValidator()
    {
        RuleFor(x => x.TouchedMiB).NotNull().GreaterThanOrEqualTo(0);
        RuleFor(x => x.WorkingSetMiB).NotNull().GreaterThanOrEqualTo(0);
        RuleFor(x => x.DirtyRateMiBps).NotNull().InclusiveBetween(0, 1_000_000);
    }
}

public sealed class InjectFaultValidator : AbstractValidator<InjectFaultRequest>
{
    public InjectFaultValidator()
    {
        RuleFor(x => x.Operation).NotNull();
        RuleFor(x => x.Count).InclusiveBetween(1, 1000);
        RuleFor(x => x.Message).MaximumLength(Limits.ShortTextMaxLength).PlainText();
    }
}

/// <summary>
/// Admin controls for the fake hypervisor, for simulations and demos: script driver failures (transient or permanent,
/// for a host, an instance, or every call), look at the VMs the fake hosts hold, and set how a guest uses its memory
/// (what a live migration of it has to chase).
/// </summary>
public static class SimulationEndpoints
{
    public static void MapSimulation(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/simulation").WithTags("Simulation").RequireAuthorization(AuthorizationPolicies.Admin);
        group.MapPost("/faults", Inject).Validate<InjectFaultRequest>().WithName("InjectFault").ProducesProblem(404);
        group.MapGet("/faults", (FakeHypervisor fake) => TypedResults.Ok(fake.Faults())).WithName("ListFaults");
        group.MapDelete("/faults/{faultId:guid}", (Guid faultId, FakeHypervisor fake) =>
            fake.RemoveFault(faultId) ? TypedResults.NoContent() : throw new NotFoundException("fault", faultId)).WithName("RemoveFault");
        group.MapGet("/hosts/{id:guid}/vms", Vms).WithName("ListFakeVms").ProducesProblem(404);
        group.MapPut("/hosts/{id:guid}/silence", Silence).Validate<SilenceRequest>().WithName("SilenceFakeHost").ProducesProblem(404).ProducesProblem(409);
        group.MapPut("/instances/{id:guid}/guest-memory", SetGuestMemory).Validate<GuestMemoryRequest>().WithName("SetFakeGuestMemory")
             .ProducesProblem(404);
    }

    private static async Task<Ok<Domain.Migrations.GuestMemory>> SetGuestMemory(Guid id, GuestMemoryRequest req, FakeHypervisor fake,
                                                                                IaasDbContext db, CancellationToken ct)
    {
        var instance = await db.Instances.AsNoTracking().GetAsync(id, "instance", ct);
        var memory = instance.Resources.MemoryMiB;
        if (req.TouchedMiB > memory) throw new FieldValidationException("touchedMiB", $"The guest has {memory} MiB; it cannot have touched more.");
        if (req.WorkingSetMiB > memory) throw new FieldValidationException("workingSetMiB", $"The guest has {memory} MiB; its working set cannot be larger.");
        var guest = new Domain.Migrations.GuestMemory(memory, req.TouchedMiB!.Value, req.WorkingSetMiB!.Value, req.DirtyRateMiBps!.Value);
        fake.SetGuestMemory(id, guest);
        return TypedResults.Ok(guest);
    }

    private static async Task<Created<FakeFault>> Inject(InjectFaultRequest req, FakeHypervisor fake, IaasDbContext db, CancellationToken ct)
    {
        if (req.HostId is { } hostId) await db.Hosts.AsNoTracking().GetAsync(hostId, "host", ct);
        if (req.InstanceId is { } instanceId) await db.Instances.AsNoTracking().GetAsync(instanceId, "instance", ct);
        var fault = fake.InjectFault(req.Operation!.Value, req.HostId, req.InstanceId, req.Transient ?? false, req.Count ?? 1, req.Message);
        return TypedResults.Created($"/v1/simulation/faults/{fault.Id}", fault);
    }

    /// <summary>
    /// A host failure, simulated: the fake host stops answering pings (no heartbeat) and every driver call to it, while
    /// its VMs keep running unseen — after <c>Iaas:Health:HostDownAfterSeconds</c> it is declared down and evacuated;
    /// un-silenced, it beats again and is fenced.
    /// </summary>
    private static async Task<Ok<SilenceResponse>> Silence(Guid id, SilenceRequest req, FakeHypervisor fake, IaasDbContext db, CancellationToken ct)
    {
        var host = await db.Hosts.AsNoTracking().GetAsync(id, "host", ct);
        if (host.Hypervisor != "fake")
            throw new InvalidStateException($"Host '{host.Name}' runs the '{host.Hypervisor}' driver; only fake hosts can be silenced.");
        fake.Silence(id, req.Silent!.Value);
        return TypedResults.Ok(new SilenceResponse(id, req.Silent.Value));
    }

    private static async Task<Ok<IReadOnlyList<FakeVm>>> Vms(Guid id, FakeHypervisor fake, IaasDbContext db, CancellationToken ct)
    {
        await db.Hosts.AsNoTracking().GetAsync(id, "host", ct);
        return TypedResults.Ok(fake.VmsOn(id));
    }
}
