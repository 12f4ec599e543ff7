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
