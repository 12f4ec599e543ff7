using IaasApi.Domain.Common;
using IaasApi.Domain.Migrations;

namespace IaasApi.Domain.Hypervisors;

/// <summary>The host a driver call is about. Drivers look VMs up by (host, instance id).</summary>
public sealed record HostRef(Guid Id, string Name, string Hypervisor);

/// <summary>Everything a driver needs to create one VM (the provisioning job's "host + template" step).</summary>
public sealed record InstanceSpec(Guid InstanceId, string Name, Resources Resources, Guid? ImageId, string? ImageName,
                                  string? UserData);

public enum PowerAction { Start, Stop, Reboot }

/// <summary>A VM's state as its hypervisor reports it. <c>Suspended</c>: saved off the host (memory and disk), resumable on any host.</summary>
public enum VmPowerState { Running, Shutoff, Suspended, Absent }

/// <summary>A host's hardware as its agent reports it.</summary>
public sealed record HostInventory(int Vcpus, int MemoryMiB, int DiskGiB);

public sealed record VmInfo(Guid InstanceId, VmPowerState Power, Resources Resources);

/// <summary>What a driver can do; feeds placement filters (e.g. plans that need live migration).</summary>
public sealed record DriverCapabilities(bool PowerControl, bool LiveMigration, bool ColdMigration, bool Snapshots);

/// <summary>
/// A hypervisor, seen from the control plane. Small, async and idempotent (nova/virt/driver.py):
/// <list type="bullet">
/// <item>spawn is idempotent per instance id and self-cleaning: a failed spawn leaves nothing behind;</item>
/// <item>destroying an absent VM succeeds;</item>
/// <item>failures are <see cref="HypervisorException"/>s that say whether retrying can help.</item>
/// </list>
/// </summary>
public interface IHypervisorDriver
{
    /// <summary>Matches <c>Host.Hypervisor</c> ("fake", "qemu").</summary>
    string Kind { get; }
    DriverCapabilities Capabilities { get; }

    Task SpawnAsync(HostRef host, InstanceSpec spec, CancellationToken ct);
    Task DestroyAsync(HostRef host, Guid instanceId, CancellationToken ct);
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

    /// <summary>Copies a VM's disk into a new image named <paramref name="imageName"/>; returns its size in MiB.</summary>
    Task<int> SnapshotAsync(HostRef host, Guid instanceId, string imageName, CancellationToken ct);

    /// <summary>
    /// How the guest uses its memory now: touched memory, writable working set and dirty rate (QEMU: <c>calc-dirty-rate</c>
    /// and <c>query-dirty-rate</c>). What the pre-copy model predicts a migration from.
    /// </summary>
    Task<GuestMemory> GetGuestMemoryAsync(HostRef host, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// Prepares the target (the VM created paused, waiting for its memory) and starts pre-copy from the source.
    /// Idempotent: a migration of this VM already under way between the same hosts is left as it is.
    /// </summary>
    Task StartLiveMigrationAsync(LiveMigrationRequest request, CancellationToken ct);

    /// <summary>Where the VM's live migration stands; <see cref="LiveMigrationState.Failed"/> with the reason when none is known.</summary>
    Task<LiveMigrationStatus> GetLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct);

    /// <summary>Pauses the guest now and copies what remains, whatever the downtime.</summary>
    Task ForceCompleteLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// Ends the migration without moving the VM: pre-copy stops, a switched guest resumes on the source, the target's
    /// copy is discarded. Idempotent; the VM runs on the source afterwards.
    /// </summary>
    Task AbortLiveMigrationAsync(HostRef source, HostRef target, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// After the control plane committed the move: the VM runs on the target, its port rebound there, and the source's
    /// paused copy is destroyed. Idempotent.
    /// </summary>
    Task ActivateMigratedAsync(HostRef source, HostRef target, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// Cold migration: starts copying a shut-off VM's disks to the target's storage. Idempotent: a copy of this VM to the
    /// same target already under way (or done) is left as it is.
    /// </summary>
    Task StartDiskCopyAsync(DiskCopyRequest request, CancellationToken ct);

    /// <summary>How the VM's disk copy is going; <see cref="DiskCopyState.Failed"/> with the reason when none is known.</summary>
    Task<DiskCopyStatus> GetDiskCopyAsync(HostRef source, Guid instanceId, CancellationToken ct);

    /// <summary>Defines the VM on the target from its copied disks, shut off; the source's VM is untouched. Idempotent.</summary>
    Task RegisterCopyAsync(HostRef source, HostRef target, InstanceSpec spec, CancellationToken ct);

    /// <summary>
    /// After the control plane committed the move: the target's registered copy is the VM (still shut off) and the
    /// source's definition and disks are removed. Idempotent.
    /// </summary>
    Task FinishColdMigrationAsync(HostRef source, HostRef target, Guid instanceId, CancellationToken ct);

    /// <summary>Discards the target's copy (and registration) of a disk copy that will not be committed. Idempotent.</summary>
    Task AbortDiskCopyAsync(HostRef source, HostRef target, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// Live storage migration: starts mirroring a running VM's disk to the target pool (the guest keeps using its
    /// source disk). Idempotent: a mirror of this VM to the same pool already under way is left as it is.
    /// </summary>
    Task StartStorageMirrorAsync(StorageMirrorRequest request, CancellationToken ct);

    /// <summary>
    /// How the mirror is going: <see cref="DiskCopyState.Copying"/> during the bulk copy, <see cref="DiskCopyState.Synced"/>
    /// once the copy is complete and every write goes to both, <see cref="DiskCopyState.Failed"/> with the reason.
    /// </summary>
    Task<DiskCopyStatus> GetStorageMirrorAsync(HostRef host, Guid instanceId, CancellationToken ct);

    /// <summary>After the control plane committed the move: the VM switches to the copy and the source disk is deleted. Idempotent.</summary>
    Task PivotStorageMirrorAsync(HostRef host, Guid instanceId, CancellationToken ct);

    /// <summary>Stops a mirror that will not be committed and deletes the copy; the VM keeps its source disk. Idempotent.</summary>
    Task AbortStorageMirrorAsync(HostRef host, Guid instanceId, CancellationToken ct);
}

/// <summary>A driver failure. Transient: the job is retried. Permanent: the work fails and the instance says why.</summary>
public sealed class HypervisorException(string message, bool isTransient, Exception? inner = null) : Exception(message, inner)
{
    public bool IsTransient { get; } = isTransient;
}

/// <summary>The capability words used by SLA plans and the hypervisor filter.</summary>
public static class CapabilityNames
{
    public const string PowerControl = "power-control";
    public const string LiveMigration = "live-migration";
    public const string ColdMigration = "cold-migration";
    public const string Snapshots = "snapshots";

    public static IReadOnlyList<string> All { get; } = [PowerControl, LiveMigration, ColdMigration, Snapshots];

    public static bool Has(this DriverCapabilities caps, string capability) => capability switch
    {
        PowerControl => caps.PowerControl,
        LiveMigration => caps.LiveMigration,
        ColdMigration => caps.ColdMigration,
        Snapshots => caps.Snapshots,
        _ => false,
    };
}
