using IaasApi.Domain.Common;
using IaasApi.Domain.Migrations;

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

    /// <summary>Copies a VM's disk into a new image named <paramref name="imageName"/>; returns its size in MiB.</summary>
    Task<int> SnapshotAsync(HostRef host, Guid instanceId, string imageName, CancellationToken ct);

    /// <summary>
    /// Saves the VM's state as snapshot <paramref name="snapshotId"/> where every host of the driver reaches it: its disk,
    /// point in time, and — when <paramref name="withMemory"/> and it runs — its memory (the guest paused only while that
    /// is written). Returns the snapshot's size in MiB. Idempotent.
    /// </summary>
    Task<int> SaveSnapshotAsync(HostRef host, Guid instanceId, Guid snapshotId, bool withMemory, CancellationToken ct);

    /// <summary>
    /// Puts the VM on <paramref name="host"/> back to the snapshot's state and runs it: resumed from the saved memory, or
    /// booted from the saved disk. What it ran or wrote since is gone. Idempotent.
    /// </summary>
    Task RestoreSnapshotAsync(HostRef host, InstanceSpec spec, Guid snapshotId, CancellationToken ct);

    /// <summary>Deletes a snapshot of the VM; an absent one succeeds.</summary>
    Task DeleteSnapshotAsync(HostRef host, Guid instanceId, Guid snapshotId, CancellationToken ct);

    /// <summary>
    /// How the guest uses its memory now: touched memory, writable working set and dirty rate (QEMU: <c>calc-dirty-rate</c>
    /// and <c>query-dirty-rate</c>). What the pre-copy model predicts a migration from.
    /// </summary>
    Task<GuestMemory> GetGuestMemoryAsync(HostRef host, Guid instanceId, CancellationToken ct);

    // Moving a VM between hosts. Every call acts on ONE host, the one its agent runs on (a qemu host's agent drives
    // only its own QEMU processes); the control plane coordinates the two sides through jobs on both hosts' queues
    // and the migration record. Until the commitment the VM is the source's: the target only prepares and receives.

    /// <summary>
    /// Target: readies the host for the VM about to arrive — live: the VM created paused, waiting for its memory; cold:
    /// a place for its disk — and, for a local disk, an empty disk of the flavor's size exported for the source to
    /// send its blocks into. Returns where the source sends. Idempotent: asked again, it answers the same.
    /// </summary>
    Task<IncomingEndpoint> PrepareIncomingAsync(IncomingRequest request, CancellationToken ct);

    /// <summary>
    /// Source: starts the live migration into the prepared target (a local disk mirrored first, then pre-copy of the
    /// memory). Idempotent: a migration of this VM already under way to the same target is left as it is.
    /// </summary>
    Task StartLiveMigrationAsync(LiveMigrationRequest request, CancellationToken ct);

    /// <summary>Source: where the VM's live migration stands; <see cref="LiveMigrationState.Failed"/> with the reason when none is known.</summary>
    Task<LiveMigrationStatus> GetLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// Source: returns when the live migration may have moved on (QEMU: a <c>MIGRATION</c> or block-job event) or when
    /// <paramref name="timeout"/> has passed — a poll interval that ends early, so the switch-over is seen at once.
    /// </summary>
    Task WaitForLiveMigrationAsync(HostRef source, Guid instanceId, TimeSpan timeout, CancellationToken ct);

    /// <summary>Source: pauses the guest now and copies what remains, whatever the downtime.</summary>
    Task ForceCompleteLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// Source, cold migration: starts copying the shut-off VM's disk into what the target prepared. Idempotent: a copy
    /// of this VM to the same target already under way (or done) is left as it is.
    /// </summary>
    Task StartDiskCopyAsync(DiskCopyRequest request, CancellationToken ct);

    /// <summary>Source: how the VM's disk copy is going; <see cref="DiskCopyState.Failed"/> with the reason when none is known.</summary>
    Task<DiskCopyStatus> GetDiskCopyAsync(HostRef source, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// Source, before the commitment: stops sending (pre-copy, a disk's mirror or copy); a guest that switched over
    /// resumes here. Idempotent; afterwards the VM is the source's as it was.
    /// </summary>
    Task CancelOutgoingAsync(HostRef source, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// Target, before the commitment: discards what arrived or was prepared (the paused VM, the received disk — never
    /// a shared pool's file). Idempotent.
    /// </summary>
    Task DiscardIncomingAsync(HostRef target, Guid instanceId, CancellationToken ct);

    /// <summary>Target, cold migration: defines the VM on its copied disk, shut off (the source's is untouched). Idempotent.</summary>
    Task RegisterCopyAsync(HostRef target, InstanceSpec spec, CancellationToken ct);

    /// <summary>
    /// Target, after the control plane committed the move: the VM is this host's — live: the paused guest resumes here
    /// (its port rebound, its address advertised from here); cold: it is started if <paramref name="run"/>. Idempotent.
    /// </summary>
    Task ActivateIncomingAsync(HostRef target, Guid instanceId, bool run, CancellationToken ct);

    /// <summary>
    /// Source, after the commitment: the source's copy goes (the paused guest, its definition, its disk unless it lives
    /// on a shared pool). Idempotent.
    /// </summary>
    Task ReleaseOutgoingAsync(HostRef source, Guid instanceId, CancellationToken ct);

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
