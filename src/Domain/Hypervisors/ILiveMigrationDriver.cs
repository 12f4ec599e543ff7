using IaasApi.Domain.Migrations;

namespace IaasApi.Domain.Hypervisors;

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

/// <summary>
/// A driver that moves a running VM between hosts: the source's side of live migration (pre-copy, post-copy's pull),
/// over the two-sided protocol of <see cref="IMigrationEndpointDriver"/>. Reading a migration's state never moves it
/// on: the caller advances it explicitly (<see cref="AdvanceLiveMigrationAsync"/>).
/// </summary>
public interface ILiveMigrationDriver : IMigrationEndpointDriver
{
    /// <summary>
    /// Source: starts the live migration into the prepared target (a local disk mirrored first, then pre-copy of the
    /// memory). Idempotent: a migration of this VM already under way to the same target is left as it is.
    /// </summary>
    Task StartLiveMigrationAsync(LiveMigrationRequest request, CancellationToken ct);

    /// <summary>
    /// Source: moves the live migration on as far as it can now and says where it then stands — QEMU: reads the disk's
    /// mirror and <c>query-migrate</c>, starts the memory once the disk is in sync, finishes a pause before the
    /// switch-over, and applies the escalation (post-copy, abort) past the time budget; the fake: plays the rounds that are
    /// due and fails one on request. The control plane's poll loop calls this; <see cref="LiveMigrationState.Failed"/>
    /// with the reason when no migration is known.
    /// </summary>
    Task<LiveMigrationStatus> AdvanceLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// Source: where the VM's live migration stood at its last advance (a pure read: nothing is sent to the hypervisor
    /// and nothing moves on); <see cref="LiveMigrationState.Failed"/> with the reason when none is known.
    /// </summary>
    Task<LiveMigrationStatus> GetLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct);

    /// <summary>
    /// Source: returns when the live migration may have moved on (QEMU: a <c>MIGRATION</c> or block-job event) or when
    /// <paramref name="timeout"/> has passed — a poll interval that ends early, so the switch-over is seen at once.
    /// </summary>
    Task WaitForLiveMigrationAsync(HostRef source, Guid instanceId, TimeSpan timeout, CancellationToken ct);

    /// <summary>Source: pauses the guest now and copies what remains, whatever the downtime.</summary>
    Task ForceCompleteLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct);
}
