namespace IaasApi.Domain.Hypervisors;

/// <summary>
/// A copy of a shut-off VM's disk from its host into what the target prepared (cold migration), as the control plane
/// asks the source's driver for it. QEMU terms: <c>qemu-img convert</c> of the disk into the target's NBD export. A
/// disk on a shared pool is not copied (the target reaches it as it is).
/// </summary>
public sealed record DiskCopyRequest(HostRef Source, HostRef Target, InstanceSpec Spec, IncomingEndpoint Incoming, double BandwidthMiBps);

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
