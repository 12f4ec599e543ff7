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
/// A live migration as the control plane asks the source's driver for it, once the target is prepared: the VM, both
/// hosts, where to send, and the convergence policy. In QEMU terms: a local disk is first mirrored into the target's
/// NBD export; <c>migrate</c> then runs with <c>max-bandwidth</c> and <c>downtime-limit</c>, and the escalation is
/// auto-converge or post-copy (../shared/qemu-guest, sections 3 and 4).
/// </summary>
public sealed record LiveMigrationRequest(HostRef Source, HostRef Target, InstanceSpec Spec, IncomingEndpoint Incoming, double BandwidthMiBps,
                                          int MaxDowntimeMs, ConvergenceEscalation Escalation, int MaxRounds, double TimeoutSecondsPerGiB);

public enum LiveMigrationState
{
    /// <summary>Pre-copy (or the disk's mirror before it) is running; the VM runs on the source.</summary>
    Active,
    /// <summary>
    /// The memory is across and the guest is paused on both sides: the control plane commits, then activates the
    /// target (or, if the commit fails, cancels and the source resumes). QEMU: source <c>postmigrate</c>, target paused.
    /// </summary>
    Switched,
    /// <summary>Ended without switching over; the VM runs on the source. <see cref="LiveMigrationStatus.Error"/> says why.</summary>
    Failed,
    /// <summary>Cancelled on request; the VM runs on the source.</summary>
    Cancelled,
    /// <summary>
    /// Switched over to post-copy: the target has the guest's state and the pages it still lacks are pulled from the
    /// source (<see cref="LiveMigrationStatus.RemainingMiB"/>) until <see cref="Switched"/>. Neither side can be cancelled
    /// now, and losing either loses the guest. QEMU: <c>postcopy-active</c>.
    /// </summary>
    PostCopy,
}

/// <summary>
/// What the source's driver reports while it migrates (QMP <c>query-migrate</c>, and <c>query-block-jobs</c> while a
/// local disk is mirrored first): rounds so far, the disk's copy, and how it ended.
/// </summary>
public sealed record LiveMigrationStatus(LiveMigrationState State, IReadOnlyList<PreCopyRound> Rounds, double TransferredMiB, double RemainingMiB,
                                         double Throttle, double ExpectedDowntimeMs, PreCopyOutcome? Outcome, double? DowntimeMs, string? Error,
                                         double DiskCopiedMiB = 0, double DiskTotalMiB = 0, double? TotalMs = null);
