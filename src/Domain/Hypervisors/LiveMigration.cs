using IaasApi.Domain.Migrations;

namespace IaasApi.Domain.Hypervisors;

/// <summary>
/// A live migration as the control plane asks a driver for it: the VM, both hosts, the spec to prepare the target with,
/// and the convergence policy. In QEMU terms: the target is started paused with <c>-incoming defer -S</c>, the source
/// runs <c>migrate</c> with <c>max-bandwidth</c> and <c>downtime-limit</c>, the escalation is auto-converge or
/// post-copy (../shared/qemu-guest, section 3).
/// </summary>
public sealed record LiveMigrationRequest(HostRef Source, HostRef Target, InstanceSpec Spec, double BandwidthMiBps, int MaxDowntimeMs,
                                          ConvergenceEscalation Escalation, int MaxRounds, double TimeoutSecondsPerGiB);

public enum LiveMigrationState
{
    /// <summary>Pre-copy is running; the VM runs on the source.</summary>
    Active,
    /// <summary>
    /// The memory is across and the guest is paused on both sides: the control plane commits, then activates the
    /// target (or, if the commit fails, aborts and the source resumes). QEMU: source <c>postmigrate</c>, target paused.
    /// </summary>
    Switched,
    /// <summary>Ended without switching over; the VM runs on the source. <see cref="LiveMigrationStatus.Error"/> says why.</summary>
    Failed,
    /// <summary>Aborted on request; the VM runs on the source.</summary>
    Cancelled,
}

/// <summary>What the driver reports while it migrates (QMP <c>query-migrate</c>): rounds so far, and how it ended.</summary>
public sealed record LiveMigrationStatus(LiveMigrationState State, IReadOnlyList<PreCopyRound> Rounds, double TransferredMiB, double RemainingMiB,
                                         double Throttle, double ExpectedDowntimeMs, PreCopyOutcome? Outcome, double? DowntimeMs, string? Error);
