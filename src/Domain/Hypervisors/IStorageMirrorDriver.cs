namespace IaasApi.Domain.Hypervisors;

/// <summary>
/// A live storage migration as the control plane asks a driver for it: the running VM's disk mirrored from where it
/// lives (<paramref name="SourcePool"/>; null: the host's local disk) to a shared pool. QEMU terms: <c>blockdev-mirror</c>
/// with <c>sync: full</c> — the bulk copy runs while the guest reads and writes the source; once it is copied the job
/// is <c>ready</c> and every write goes to both; <c>block-job-complete</c> pivots the VM onto the copy.
/// </summary>
public sealed record StorageMirrorRequest(HostRef Host, InstanceSpec Spec, string? SourcePool, string TargetPool, double BandwidthMiBps);

/// <summary>A driver that moves a running VM's disk to a shared pool on the same host (live storage migration).</summary>
public interface IStorageMirrorDriver
{
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
