using IaasApi.Domain.Common;

namespace IaasApi.Domain.Hypervisors;

/// <summary>The host a driver call is about. Drivers look VMs up by (host, instance id).</summary>
public sealed record HostRef(Guid Id, string Name, string Hypervisor);

/// <summary>
/// Everything a driver needs to create one VM (the provisioning job's "host + template" step), and where its disk
/// lives: <see cref="Pool"/> names the shared storage pool holding it (null: the host's local disk).
/// </summary>
public sealed record InstanceSpec(Guid InstanceId, string Name, Resources Resources, Guid? ImageId, string? ImageName,
                                  string? UserData, string? Pool = null);

public enum PowerAction { Start, Stop, Reboot }

/// <summary>A VM's state as its hypervisor reports it. <c>Suspended</c>: saved off the host (memory and disk), resumable on any host.</summary>
public enum VmPowerState { Running, Shutoff, Suspended, Absent }

/// <summary>A host's hardware as its agent reports it.</summary>
public sealed record HostInventory(int Vcpus, int MemoryMiB, int DiskGiB);

public sealed record VmInfo(Guid InstanceId, VmPowerState Power, Resources Resources);

/// <summary>
/// A hypervisor, seen from the control plane: the life cycle every driver has (VMs created, powered, listed and
/// destroyed; the host pinged, inventoried and powered; VMs suspended off it and resumed). Small, async and idempotent
/// (nova/virt/driver.py):
/// <list type="bullet">
/// <item>spawn is idempotent per instance id and self-cleaning: a failed spawn leaves nothing behind;</item>
/// <item>destroying an absent VM succeeds;</item>
/// <item>failures are <see cref="HypervisorException"/>s that say whether retrying can help.</item>
/// </list>
/// What else a driver can do it says by implementing a role — <see cref="ISnapshotDriver"/>, <see cref="IGuestStatsDriver"/>,
/// <see cref="ILiveMigrationDriver"/>, <see cref="IColdMigrationDriver"/>, <see cref="IStorageMirrorDriver"/> — and its
/// <see cref="DriverCapabilities"/> follow from those (<see cref="DriverCapabilities.Of"/>).
/// </summary>
public interface IHypervisorDriver
{
    /// <summary>Matches <c>Host.Hypervisor</c> ("fake", "qemu").</summary>
    string Kind { get; }

    Task SpawnAsync(HostRef host, InstanceSpec spec, CancellationToken ct);
    Task DestroyAsync(HostRef host, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// The instance is gone for good: the disk that outlives any host (on the shared pool <see cref="InstanceSpec.Pool"/>)
    /// is deleted. Destroy leaves it, because fencing destroys stale copies whose VM may already run elsewhere on that
    /// very file. Idempotent.
    /// </summary>
    Task DeletePooledDiskAsync(HostRef host, InstanceSpec spec, CancellationToken ct);
    Task SetPowerAsync(HostRef host, Guid instanceId, PowerAction action, CancellationToken ct);
    Task<VmPowerState> GetPowerStateAsync(HostRef host, Guid instanceId, CancellationToken ct);
    /// <summary>Every VM the host runs, stale copies included (what fencing compares with the control plane's records).</summary>
    Task<IReadOnlyList<VmInfo>> ListAsync(HostRef host, CancellationToken ct);

    /// <summary>
    /// Whether the host answers: its agent reports a heartbeat only while this is true. False (or an exception) for a
    /// host that is cut off; never throws for an answering one.
    /// </summary>
    Task<bool> PingAsync(HostRef host, CancellationToken ct);

    /// <summary>
    /// What the host's hardware has, as its agent sees it (CPUs, memory, disk where VMs live); null when the driver has no
    /// physical host to look at (the fake). Reported with the heartbeat so operators can compare it with the capacity
    /// they declared.
    /// </summary>
    Task<HostInventory?> GetInventoryAsync(HostRef host, CancellationToken ct);

    /// <summary>
    /// Powers the host itself off (an empty one: VMs on it refuse) or on, returning once it is booted and answers (its
    /// BMC / IPMI in a real cloud). Idempotent.
    /// </summary>
    Task SetHostPowerAsync(HostRef host, bool on, CancellationToken ct);

    /// <summary>
    /// Saves a VM's whole state (memory and disk) off its host and removes it from the host, freeing all of the host's
    /// capacity it held (OpenStack's shelve-offload of a suspended VM). Idempotent: an already saved VM, or one not on
    /// the host at all (never built), succeeds.
    /// </summary>
    Task SuspendAsync(HostRef host, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// Restores a saved VM on <paramref name="host"/> (any host of the driver) and runs it; one that was never built
    /// (preempted while building) is created from <paramref name="spec"/>. Idempotent.
    /// </summary>
    Task ResumeAsync(HostRef host, InstanceSpec spec, CancellationToken ct);
}

/// <summary>A driver failure. Transient: the job is retried. Permanent: the work fails and the instance says why.</summary>
public sealed class HypervisorException(string message, bool isTransient, Exception? inner = null) : Exception(message, inner)
{
    public bool IsTransient { get; } = isTransient;
}
