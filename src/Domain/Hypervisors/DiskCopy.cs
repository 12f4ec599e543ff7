namespace IaasApi.Domain.Hypervisors;

/// <summary>
/// A copy of a VM's disks from its host's storage to another host's, as the control plane asks a driver for it (cold
/// migration: the VM is shut off while it runs). QEMU terms: the overlay copied with <c>qemu-img convert</c> (or a
/// <c>drive-mirror</c> of a stopped guest) into the target's storage.
/// </summary>
public sealed record DiskCopyRequest(HostRef Source, HostRef Target, InstanceSpec Spec, double BandwidthMiBps);

public enum DiskCopyState
{
    /// <summary>Blocks are being copied; the source's disks are the VM's.</summary>
    Copying,
    /// <summary>The target holds a complete copy.</summary>
    Synced,
    /// <summary>Ended without a complete copy; <see cref="DiskCopyStatus.Error"/> says why. The source is untouched.</summary>
    Failed,
}

/// <summary>Where a disk copy stands (QMP <c>query-block-jobs</c>: offset and length).</summary>
public sealed record DiskCopyStatus(DiskCopyState State, double CopiedMiB, double TotalMiB, string? Error);

/// <summary>
/// A live storage migration as the control plane asks a driver for it: the running VM's disk mirrored from where it
/// lives (<paramref name="SourcePool"/>; null: the host's local disk) to a shared pool. QEMU terms: <c>blockdev-mirror</c>
/// with <c>sync: full</c> — the bulk copy runs while the guest reads and writes the source; once it is copied the job
/// is <c>ready</c> and every write goes to both; <c>block-job-complete</c> pivots the VM onto the copy.
/// </summary>
public sealed record StorageMirrorRequest(HostRef Host, InstanceSpec Spec, string? SourcePool, string TargetPool, double BandwidthMiBps);
