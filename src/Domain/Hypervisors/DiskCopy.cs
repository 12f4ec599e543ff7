namespace IaasApi.Domain.Hypervisors;

// A disk copy's progress, the same for cold migration's copy (IColdMigrationDriver) and the storage mirror (IStorageMirrorDriver).

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
