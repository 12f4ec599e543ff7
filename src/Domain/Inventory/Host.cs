using IaasApi.Domain.Common;

namespace IaasApi.Domain.Inventory;

public enum HostState { Enabled, Disabled, Maintenance, Down }

/// <summary>A host's power. Powering-on: woken for placement, booting; it takes claims (its work waits until it is on).</summary>
public enum HostPower { On, Off, PoweringOn }

/// <summary>How far each resource may be overcommitted (Nova's cpu/ram/disk_allocation_ratio).</summary>
public readonly record struct AllocationRatios(double Cpu, double Memory, double Disk)
{
    public static AllocationRatios Default => new(1.0, 1.0, 1.0);
}

/// <summary>
/// A physical compute host. Usable capacity per resource is <c>(capacity − reserved) × ratio</c> (Placement's
/// formula); network has no ratio and no reservation. <see cref="Allocated"/> is maintained by claims in the
/// database, never by read-modify-write in memory.
/// </summary>
public sealed class Host : Entity
{
    private Host() { Name = ""; Hypervisor = ""; CpuFeatures = []; Traits = []; }

    public Host(string name, Guid zoneId, Guid regionId, string hypervisor, Resources capacity, Resources reserved,
                AllocationRatios ratios, string? cpuModel, IEnumerable<string> cpuFeatures, IEnumerable<string> traits,
                DateTimeOffset now) : base(now)
    {
        Name = name;
        ZoneId = zoneId;
        RegionId = regionId;
        Hypervisor = hypervisor;
        Capacity = capacity;
        Reserved = reserved;
        AllocationRatios = ratios;
        CpuModel = cpuModel;
        CpuFeatures = Normalise(cpuFeatures);
        Traits = Normalise(traits);
        State = HostState.Enabled;
        Power = HostPower.On;
    }

    public string Name { get; private set; }
    public Guid ZoneId { get; private set; }
    public Guid RegionId { get; private set; }
    public string Hypervisor { get; private set; }
    public Resources Capacity { get; private set; }
    public Resources Reserved { get; private set; }
    public AllocationRatios AllocationRatios { get; private set; }
    public Resources Allocated { get; private set; }
    /// <summary>The part of <see cref="Allocated"/> held by preemptible instances (they may borrow reserved capacity).</summary>
    public Resources PreemptibleAllocated { get; private set; }
    /// <summary>The part of <see cref="Allocated"/> held by instances running inside reservation slots (the slots count them).</summary>
    public Resources SlotAllocated { get; private set; }
    /// <summary>
    /// Per resource, the most this host's reservation slots hold at any instant from now on. Maintained with every
    /// reservation change; stale only on the high side as windows pass (conservative), recomputed by the tick.
    /// </summary>
    public Resources ReservedPeak { get; private set; }
    /// <summary>
    /// Started reservations' slots on this host that no instance runs in yet. Not allocated, but not free either:
    /// nothing else may take it (borrowing is for capacity that a reservation will need later, not now).
    /// </summary>
    public Resources IdleReserved { get; private set; }
    /// <summary>Bumped by every change to this host's reservation slots: their changes serialise on this row.</summary>
    public long TimelineVersion { get; private set; }

    /// <summary>What every future instant of this host already owes: non-preemptible instances outside slots, plus the slots' peak.</summary>
    public Resources Committed => Allocated - PreemptibleAllocated - SlotAllocated + ReservedPeak;

    /// <summary>(capacity − reserved) × ratio per resource, as whole units (the same bound the claim's comparison applies).</summary>
    public Resources UsableUnits => UsableUnitsOf(Capacity, Reserved, AllocationRatios);

    public static Resources UsableUnitsOf(Resources capacity, Resources reserved, AllocationRatios ratios) =>
        new((int)Math.Floor(Usable(capacity.Vcpus, reserved.Vcpus, ratios.Cpu)),
            (int)Math.Floor(Usable(capacity.MemoryMiB, reserved.MemoryMiB, ratios.Memory)),
            (int)Math.Floor(Usable(capacity.DiskGiB, reserved.DiskGiB, ratios.Disk)), capacity.NetworkMbps);
    public int InstanceCount { get; private set; }
    public HostState State { get; private set; }
    public HostPower Power { get; private set; }
    public string? CpuModel { get; private set; }
    public List<string> CpuFeatures { get; private set; }
    public List<string> Traits { get; private set; }
    /// <summary>
    /// Changes whenever an operator changes what placement filters on (state, ratios, reserved, traits). Claims carry
    /// the value placement saw, so a claim made on a stale view of the host's configuration fails and is retried.
    /// (<see cref="Entity.Version"/> also moves with every capacity claim, so it cannot serve here.)
    /// </summary>
    public long ConfigVersion { get; private set; }

    /// <summary>What placement may hand out, per resource: (capacity − reserved) × ratio.</summary>
    public static double Usable(int capacity, int reserved, double ratio) => (capacity - reserved) * ratio;

    public void SetState(HostState state)
    {
        if (state is not (HostState.Enabled or HostState.Disabled))
            throw new FieldValidationException("state", "Only 'enabled' and 'disabled' can be set directly; maintenance and down come from host actions and health checks.");
        if (State is HostState.Maintenance or HostState.Down && state != State)
            throw new InvalidStateException($"Host is '{EnumWords.ToWord(State)}'; it returns to service through its own action, not a PATCH.");
        if (State != state) ConfigVersion++;
        State = state;
    }

    /// <summary>Stops taking placements (in-flight claims on the old configuration lose) so the host can be drained.</summary>
    public void EnterMaintenance()
    {
        if (State == HostState.Maintenance) return;
        if (State == HostState.Down) throw new InvalidStateException("The host is down; there is nothing running on it to drain.");
        ConfigVersion++;
        State = HostState.Maintenance;
    }

    /// <summary>When the host's agent last reported it alive (null: never — a host whose agent never ran is not "down").</summary>
    public DateTimeOffset? LastHeartbeatAt { get; private set; }
    /// <summary>The hardware its agent reported with its last heartbeat (null: nothing reported, e.g. a fake host).</summary>
    public int? ReportedVcpus { get; private set; }
    public int? ReportedMemoryMiB { get; private set; }
    public int? ReportedDiskGiB { get; private set; }
    /// <summary>VMs the host runs that the control plane does not know there, as its agent last reported (an operator decides).</summary>
    public List<Guid> UnmanagedVms { get; private set; } = [];
    /// <summary>When its agent last compared what it runs with the database (null: never, e.g. a fake host).</summary>
    public DateTimeOffset? ReconciledAt { get; private set; }
    /// <summary>When the control plane declared it down (missed heartbeats); null while it is not down.</summary>
    public DateTimeOffset? DownSince { get; private set; }
    /// <summary>The state it had when it went down, restored once its stale VMs are fenced.</summary>
    public HostState? StateBeforeDown { get; private set; }

    /// <summary>
    /// Declared down after missed heartbeats: no placement (claims on the old configuration lose), its instances are
    /// evacuated, and it must be fenced before it serves again.
    /// </summary>
    public void MarkDown(DateTimeOffset now)
    {
        if (State == HostState.Down) return;
        StateBeforeDown = State;
        State = HostState.Down;
        DownSince = now;
        ConfigVersion++;
    }

    /// <summary>Heard from again after being down (its stale VMs are fenced first): back to the state it had.</summary>
    public void Recover()
    {
        if (State != HostState.Down) throw new InvalidStateException($"The host is '{EnumWords.ToWord(State)}', not down.");
        State = StateBeforeDown ?? HostState.Enabled;
        StateBeforeDown = null;
        DownSince = null;
        ConfigVersion++;
    }

    /// <summary>Whether placement may claim on it: on, or booting because placement woke it.</summary>
    public static bool Serves(HostPower power) => power is HostPower.On or HostPower.PoweringOn;

    /// <summary>
    /// Powered off to save energy (consolidation, or an operator): only an empty host, not down. The caller makes the
    /// same check in its conditional UPDATE, so a claim landing meanwhile wins and the power-off loses.
    /// </summary>
    public void PowerOff()
    {
        if (Power == HostPower.Off) return;
        if (State == HostState.Down) throw new InvalidStateException("The host is down; it cannot be powered off through the control plane.");
        if (InstanceCount > 0 || Allocated != Resources.Zero || IdleReserved != Resources.Zero || ReservedPeak != Resources.Zero)
            throw new InvalidStateException(
                $"Host '{Name}' holds {InstanceCount} instance(s) or reserved capacity; empty it first (enter-maintenance drains it).");
        Power = HostPower.Off;
        ConfigVersion++;
    }

    /// <summary>Woken (placement needs it, or an operator): booting; placement may claim on it already.</summary>
    public void BeginPowerOn()
    {
        if (Power != HostPower.Off) return;
        Power = HostPower.PoweringOn;
        ConfigVersion++;
    }

    /// <summary>The host finished booting and answers (that counts as its heartbeat: it was silent while off).</summary>
    public void PoweredOn(DateTimeOffset now)
    {
        LastHeartbeatAt = now;
        if (Power == HostPower.On) return;
        Power = HostPower.On;
        ConfigVersion++;
    }

    /// <summary>Back in service after maintenance.</summary>
    public void ExitMaintenance()
    {
        if (State != HostState.Maintenance) throw new InvalidStateException($"The host is '{EnumWords.ToWord(State)}', not in maintenance.");
        ConfigVersion++;
        State = HostState.Enabled;
    }

    public void SetAllocationRatios(AllocationRatios ratios)
    {
        if (ratios != AllocationRatios) ConfigVersion++;
        AllocationRatios = ratios;
    }

    public void SetReserved(Resources reserved)
    {
        if (reserved != Reserved) ConfigVersion++;
        Reserved = reserved;
    }

    public void SetTraits(IEnumerable<string> traits)
    {
        var normalised = Normalise(traits);
        if (!normalised.SequenceEqual(Traits)) ConfigVersion++;
        Traits = normalised;
    }

    private static List<string> Normalise(IEnumerable<string> tags) =>
        tags.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}
