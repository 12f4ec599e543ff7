using IaasApi.Domain.Migrations;

namespace IaasApi.Domain.Hypervisors;

/// <summary>
/// What the target host is asked to prepare for a VM about to arrive (each call concerns one host: the target's own
/// agent runs it). Live: the VM created paused, waiting for its memory; cold: a place for its disk to be copied into.
/// A disk on a shared pool (<see cref="InstanceSpec.Pool"/>) is reachable from the target as it is; a local disk is
/// sent: the target makes an empty disk of the flavor's size and exports it to the source.
/// </summary>
public sealed record IncomingRequest(HostRef Target, HostRef Source, InstanceSpec Spec, MigrationType Type);

/// <summary>
/// Where the source sends a VM (what the target's <c>PrepareIncomingAsync</c> answered): <see cref="MigrationUri"/> for the
/// memory stream (live), <see cref="DiskUri"/> for the disk's blocks (a local disk; null when the disk is on a shared
/// pool). QEMU: <c>tcp:&lt;address&gt;:&lt;port&gt;</c> and <c>nbd://&lt;address&gt;:&lt;port&gt;/&lt;export&gt;</c>.
/// <see cref="DiskBase"/>: the image whose template the target's empty disk is an overlay of (its own copy of the
/// template), so the source sends only what its overlay holds; null: a blank disk, the source sends everything.
/// </summary>
public sealed record IncomingEndpoint(string? MigrationUri, string? DiskUri, string? DiskBase = null);

/// <summary>
/// The two sides of moving a VM between hosts, shared by live and cold migration. Every call acts on ONE host, the one
/// its agent runs on (a qemu host's agent drives only its own QEMU processes); the control plane coordinates the two
/// sides through jobs on both hosts' queues and the migration record. Until the commitment the VM is the source's:
/// the target only prepares and receives.
/// </summary>
public interface IMigrationEndpointDriver
{
    /// <summary>
    /// Target: readies the host for the VM about to arrive — live: the VM created paused, waiting for its memory; cold:
    /// a place for its disk — and, for a local disk, an empty disk of the flavor's size exported for the source to
    /// send its blocks into. Returns where the source sends. Idempotent: asked again, it answers the same.
    /// </summary>
    Task<IncomingEndpoint> PrepareIncomingAsync(IncomingRequest request, CancellationToken ct);

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
}
