namespace IaasApi.Domain.Hypervisors;

/// <summary>A driver that captures VMs: a disk into a new image, and instance snapshots saved, restored and deleted.</summary>
public interface ISnapshotDriver
{
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
}
