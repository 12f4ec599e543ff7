namespace IaasApi.Domain.Hypervisors;

/// <summary>
/// A copy of a shut-off VM's disk from its host into what the target prepared (cold migration), as the control plane
/// asks the source's driver for it. QEMU terms: <c>qemu-img convert</c> of the disk into the target's NBD export. A
/// disk on a shared pool is not copied (the target reaches it as it is).
/// </summary>
public sealed record DiskCopyRequest(HostRef Source, HostRef Target, InstanceSpec Spec, IncomingEndpoint Incoming, double BandwidthMiBps);

/// <summary>
/// A driver that moves a shut-off VM between hosts: its disk copied by the source, registered by the target, over the
/// two-sided protocol of <see cref="IMigrationEndpointDriver"/>.
/// </summary>
public interface IColdMigrationDriver : IMigrationEndpointDriver
{
    /// <summary>
    /// Source, cold migration: starts copying the shut-off VM's disk into what the target prepared. Idempotent: a copy
    /// of this VM to the same target already under way (or done) is left as it is.
    /// </summary>
    Task StartDiskCopyAsync(DiskCopyRequest request, CancellationToken ct);

    /// <summary>Source: how the VM's disk copy is going; <see cref="DiskCopyState.Failed"/> with the reason when none is known.</summary>
    Task<DiskCopyStatus> GetDiskCopyAsync(HostRef source, Guid instanceId, CancellationToken ct);

    /// <summary>Target, cold migration: defines the VM on its copied disk, shut off (the source's is untouched). Idempotent.</summary>
    Task RegisterCopyAsync(HostRef target, InstanceSpec spec, CancellationToken ct);
}
