using IaasApi.Domain.Common;

namespace IaasApi.Domain.Migrations;

public enum MigrationType { Live, Cold, Storage }

public enum MigrationStatus { Queued, Running, Completed, Failed, Cancelled }

/// <summary>
/// The stages a migration passes, in order per type (<see cref="Migration.StagesOf"/>). Live follows Clark et al.
/// (2005): pre-migration checks, reservation of the destination, iterative pre-copy, stop-and-copy, commitment,
/// activation. Cold stops the VM, copies its disks and registers it on the destination; storage copies a running VM's
/// disk, then mirrors its writes to both copies until they are in sync.
/// </summary>
public enum MigrationStage
{
    PreMigration,
    Reservation,
    PreCopy,
    StopAndCopy,
    Stop,
    CopyDisks,
    Register,
    Copy,
    Mirror,
    Commitment,
    Activation,
    /// <summary>
    /// Live, after a switch-over to post-copy: the guest runs on the target while the pages it still lacks are pulled
    /// from the source (the push was pre-copy). Stored as a number with the stages, so it comes last here; its place in a
    /// migration is after stop-and-copy (<see cref="Migration.StagesOf"/>), and only when post-copy was used.
    /// </summary>
    PostCopy,
}

/// <summary>What becomes of a migration when one of its hosts is declared down (<see cref="Migration.WhenHostDown"/>).</summary>
public enum HostDownOutcome
{
    /// <summary>The host is neither end of it, or it has ended.</summary>
    None,
    /// <summary>Before the target held the whole guest: abandoned, the VM stays where it was (and goes with its host's evacuation).</summary>
    EndOnSource,
    /// <summary>The source died after the switch-over: the target holds the whole guest, paused and consistent — committed there.</summary>
    CommitOnTarget,
    /// <summary>Committed already: activation goes on where the VM now is; the source's copy goes when its host is fenced.</summary>
    FinishOnTarget,
    /// <summary>The target died after the commitment: the migration fails; the VM goes with its new host's evacuation.</summary>
    TargetFailed,
    /// <summary>During post-copy's pull the guest's memory is split between the hosts: with either gone, the guest is lost.</summary>
    LostInPostCopy,
}

/// <summary>When one stage began and ended.</summary>
public sealed record MigrationStageRecord(MigrationStage Stage, DateTimeOffset StartedAt, DateTimeOffset? EndedAt);

/// <summary>
/// A migration of one instance: a first-class resource with its stages, each timestamped, its pre-copy rounds and its
/// outcome. The rule it keeps: until <see cref="MigrationStage.Commitment"/> has ended the VM is the source's, so a
/// failure or a cancel before then leaves it running there (<see cref="OnSource"/>); commitment is the single step
/// that moves it, and after it the migration can no longer be cancelled.
/// </summary>
public sealed class Migration : Entity
{
    private static readonly IReadOnlyDictionary<MigrationType, MigrationStage[]> Order = new Dictionary<MigrationType, MigrationStage[]>
    {
        [MigrationType.Live] = [MigrationStage.PreMigration, MigrationStage.Reservation, MigrationStage.PreCopy, MigrationStage.StopAndCopy,
                                MigrationStage.PostCopy, MigrationStage.Commitment, MigrationStage.Activation],
        [MigrationType.Cold] = [MigrationStage.PreMigration, MigrationStage.Reservation, MigrationStage.Stop, MigrationStage.CopyDisks,
                                MigrationStage.Register, MigrationStage.Commitment, MigrationStage.Activation],
        [MigrationType.Storage] = [MigrationStage.PreMigration, MigrationStage.Reservation, MigrationStage.Copy, MigrationStage.Mirror,
                                   MigrationStage.Commitment, MigrationStage.Activation],
    };

    private Migration() { Reason = ""; }

    public Migration(Guid instanceId, Guid tenantId, MigrationType type, Guid sourceHostId, Guid? targetHostId, int? maxDowntimeMs,
                     int? bandwidthMbps, DateTimeOffset now, ConvergenceEscalation escalation = ConvergenceEscalation.AutoConverge,
                     double? timeoutSecondsPerGiB = null, bool restartOnTarget = false)
        : base(now)
    {
        if (maxDowntimeMs is <= 0) throw new FieldValidationException("maxDowntimeMs", "'maxDowntimeMs' must be positive.");
        if (bandwidthMbps is <= 0) throw new FieldValidationException("bandwidthMbps", "'bandwidthMbps' must be positive.");
        if (targetHostId == sourceHostId) throw new FieldValidationException("targetHostId", "The target host is the instance's own host.");
        InstanceId = instanceId;
        TenantId = tenantId;
        Type = type;
        SourceHostId = sourceHostId;
        TargetHostId = targetHostId;
        MaxDowntimeMs = maxDowntimeMs;
        BandwidthMbps = bandwidthMbps;
        Escalation = escalation;
        TimeoutSecondsPerGiB = timeoutSecondsPerGiB;
        RestartOnTarget = type == MigrationType.Cold && restartOnTarget;
        Status = MigrationStatus.Queued;
        Reason = "";
    }

    public Guid InstanceId { get; private set; }
    public Guid TenantId { get; private set; }
    public MigrationType Type { get; private set; }
    public Guid SourceHostId { get; private set; }
    /// <summary>Asked for, or chosen by placement in the pre-migration stage.</summary>
    public Guid? TargetHostId { get; private set; }
    public int? MaxDowntimeMs { get; private set; }
    public int? BandwidthMbps { get; private set; }
    /// <summary>What pre-copy does when it does not converge (the policy in force when the migration was asked for).</summary>
    public ConvergenceEscalation Escalation { get; private set; }
    /// <summary>The plan's pre-copy time budget per GiB, if it sets one (else the cloud's default applies).</summary>
    public double? TimeoutSecondsPerGiB { get; private set; }
    public Guid? OperationId { get; private set; }
    /// <summary>The target's capacity is claimed for the instance (released again if the migration ends before commitment).</summary>
    public bool TargetClaimed { get; private set; }
    /// <summary>An operator asked to cancel; the job acts on it at its next step.</summary>
    public bool CancelRequested { get; private set; }
    /// <summary>An operator asked to pause and finish now; the job acts on it during pre-copy.</summary>
    public bool ForceCompleteRequested { get; private set; }
    public MigrationStatus Status { get; private set; }
    public MigrationStage? Stage => Stages.Count == 0 ? null : Stages[^1].Stage;
    /// <summary>Every stage entered, in order, with when it began and ended.</summary>
    public List<MigrationStageRecord> Stages { get; private set; } = [];
    /// <summary>The pre-copy rounds so far (live migration).</summary>
    public List<PreCopyRound> Rounds { get; private set; } = [];
    /// <summary>Live: the stop-and-copy's pause. Cold: from the stop to the start on the target (or to the end, for a stopped VM: 0).</summary>
    public double? DowntimeMs { get; private set; }
    /// <summary>Live: the hypervisor's own figures at the switch-over — its total migration time (QEMU's <c>total-time</c>) and the memory it sent.</summary>
    public double? HypervisorTotalMs { get; private set; }
    public double? TransferredMiB { get; private set; }
    /// <summary>Live, during pre-copy: what is still to send as of the last look (with <see cref="TransferredMiB"/>, the progress within pre-copy).</summary>
    public double? RemainingMiB { get; private set; }
    /// <summary>Cold migration of a VM that was running: it is started again on the target once moved.</summary>
    public bool RestartOnTarget { get; private set; }
    /// <summary>The disk copy so far (cold migration): MiB copied of the total.</summary>
    public double? DiskCopiedMiB { get; private set; }
    public double? DiskTotalMiB { get; private set; }
    /// <summary>Storage migration: the pool the disk leaves (null: the host's local disk) and the pool it goes to.</summary>
    public Guid? SourcePoolId { get; private set; }
    public Guid? TargetPoolId { get; private set; }
    public PreCopyOutcome? PreCopyOutcome { get; private set; }
    /// <summary>Why it failed or was cancelled; how pre-copy ended when it completed.</summary>
    public string Reason { get; private set; }
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>The stages a migration of <paramref name="type"/> may pass, in order (post-copy only when a live one switches to it).</summary>
    public static IReadOnlyList<MigrationStage> StagesOf(MigrationType type) => Order[type];

    /// <summary>Stages a migration passes only on some paths.</summary>
    private static bool Optional(MigrationStage stage) => stage == MigrationStage.PostCopy;

    public bool IsLive => Status is MigrationStatus.Queued or MigrationStatus.Running;

    /// <summary>True until commitment has ended: the VM runs (or sits stopped) on the source, the target only holds a claim.</summary>
    public bool OnSource => !Stages.Any(s => s.Stage == MigrationStage.Commitment && s.EndedAt is not null);

    /// <summary>
    /// The guest runs on the target but part of its memory is still on the source (post-copy's pull): from here on a
    /// failure of either side loses the guest, and nothing can be cancelled.
    /// </summary>
    public bool InPostCopy => IsLive && Stage == MigrationStage.PostCopy;

    /// <summary>
    /// The target holds the whole guest, consistent and paused, and the source stopped sending (Clark's stop-and-copy is
    /// over: live, the switch-over was recorded and no pull is pending; cold, the copy is registered on the target).
    /// </summary>
    public bool TargetHoldsCopy => Type switch
    {
        MigrationType.Live => Stage is MigrationStage.StopAndCopy or MigrationStage.Commitment,
        MigrationType.Cold => Stage is MigrationStage.Commitment,
        _ => false,
    };

    /// <summary>
    /// What a down host means for this migration, by Clark's rule (the source is primary until the commitment): the
    /// source lost before the target held the whole guest — abandoned, the VM goes with the source's evacuation; after —
    /// committed on the target. The target lost before the commitment — abandoned, the VM keeps running on its source;
    /// after — the migration fails. During post-copy's pull either loss loses the guest. A storage migration lives on
    /// one host: abandoned with it.
    /// </summary>
    public HostDownOutcome WhenHostDown(Guid hostId)
    {
        if (!IsLive || (hostId != SourceHostId && hostId != TargetHostId)) return HostDownOutcome.None;
        if (InPostCopy) return HostDownOutcome.LostInPostCopy;
        if (hostId == SourceHostId)
        {
            if (!OnSource) return Type == MigrationType.Storage ? HostDownOutcome.None : HostDownOutcome.FinishOnTarget;
            return TargetHoldsCopy ? HostDownOutcome.CommitOnTarget : HostDownOutcome.EndOnSource;
        }
        return OnSource ? HostDownOutcome.EndOnSource : HostDownOutcome.TargetFailed;
    }

    /// <summary>Ends the current stage and begins <paramref name="stage"/>, which must be the next one for this type (optional ones may be skipped).</summary>
    public void Enter(MigrationStage stage, DateTimeOffset now)
    {
        if (!IsLive) throw new InvalidStateException($"The migration is {EnumWords.ToWord(Status)}.");
        var order = Order[Type];
        var next = Stage is { } current ? Array.IndexOf(order, current) + 1 : 0;
        while (next < order.Length && order[next] != stage && Optional(order[next])) next++;
        if (next >= order.Length || order[next] != stage)
            throw new InvalidStateException(
                $"A {EnumWords.ToWord(Type)} migration goes {string.Join(" → ", order.Select(o => Optional(o) ? $"({EnumWords.ToWord(o)})" : EnumWords.ToWord(o)))}; " +
                $"'{EnumWords.ToWord(stage)}' cannot follow {(Stage is { } c ? $"'{EnumWords.ToWord(c)}'" : "the start")}.");
        EndStage(now);
        Stages.Add(new MigrationStageRecord(stage, now, null));
        Status = MigrationStatus.Running;
        StartedAt ??= now;
    }

    public void ChooseTarget(Guid hostId)
    {
        if (Stage is not MigrationStage.PreMigration) throw new InvalidStateException("The target is chosen in the pre-migration stage.");
        if (hostId == SourceHostId) throw new InvalidStateException("The target cannot be the source host.");
        TargetHostId = hostId;
    }

    public void AttachOperation(Guid operationId) => OperationId = operationId;

    public void MarkTargetClaimed(bool claimed) => TargetClaimed = claimed;

    /// <summary>Asks the job to cancel (only before commitment, and not during post-copy: afterwards there is nothing to go back to).</summary>
    public void RequestCancel()
    {
        if (!IsLive) throw new InvalidStateException($"The migration is {EnumWords.ToWord(Status)}.");
        if (Stages.Any(s => s.Stage == MigrationStage.Commitment))
            throw new InvalidStateException("The migration is committing; it can no longer be cancelled.");
        if (InPostCopy)
            throw new InvalidStateException("The guest runs on the target and pulls the rest of its memory (post-copy); it can no longer be cancelled.");
        CancelRequested = true;
    }

    /// <summary>Asks the job to pause the guest and finish (live migration, before the switch-over).</summary>
    public void RequestForceComplete()
    {
        if (!IsLive) throw new InvalidStateException($"The migration is {EnumWords.ToWord(Status)}.");
        if (Type != MigrationType.Live) throw new InvalidStateException("Only a live migration can be forced to complete.");
        if (Stages.Any(s => s.Stage is MigrationStage.StopAndCopy or MigrationStage.Commitment))
            throw new InvalidStateException("The migration is already switching over.");
        ForceCompleteRequested = true;
    }

    public void RecordRound(PreCopyRound round)
    {
        if (Stage is not MigrationStage.PreCopy) throw new InvalidStateException("Rounds are recorded during pre-copy.");
        Rounds.Add(round);
    }

    /// <summary>Pre-copy under way: memory sent so far and still to send (what the hypervisor's counters say now).</summary>
    public void RecordTransfer(double transferredMiB, double remainingMiB)
    {
        if (Stage is not MigrationStage.PreCopy) throw new InvalidStateException("The transfer is recorded during pre-copy.");
        TransferredMiB = transferredMiB;
        RemainingMiB = remainingMiB;
    }

    /// <summary>Pre-copy ended (stop-and-copy, post-copy or force-complete): what the switch-over cost.</summary>
    public void RecordSwitchover(PreCopyOutcome outcome, double downtimeMs, double? hypervisorTotalMs = null, double? transferredMiB = null)
    {
        HypervisorTotalMs = hypervisorTotalMs;
        TransferredMiB = transferredMiB ?? TransferredMiB;
        RemainingMiB = 0;
        if (Stage is not (MigrationStage.PreCopy or MigrationStage.StopAndCopy))
            throw new InvalidStateException("The switch-over is recorded at the end of pre-copy.");
        PreCopyOutcome = outcome;
        DowntimeMs = downtimeMs;
    }

    /// <summary>
    /// Post-copy's pull ended: every page is on the target. The hypervisor's own figures now cover the whole migration —
    /// push and pull (<see cref="HypervisorTotalMs"/>) — and the downtime it measured, if it reports one then.
    /// </summary>
    public void RecordPulled(double? downtimeMs, double? hypervisorTotalMs, double transferredMiB)
    {
        if (Stage is not MigrationStage.PostCopy) throw new InvalidStateException("The pull is recorded at the end of post-copy.");
        DowntimeMs = downtimeMs ?? DowntimeMs;
        HypervisorTotalMs = hypervisorTotalMs;
        TransferredMiB = transferredMiB;
        RemainingMiB = 0;
    }

    /// <summary>Post-copy under way: memory pulled so far and still to pull.</summary>
    public void RecordPull(double transferredMiB, double remainingMiB)
    {
        if (Stage is not MigrationStage.PostCopy) throw new InvalidStateException("The pull is recorded during post-copy.");
        TransferredMiB = transferredMiB;
        RemainingMiB = remainingMiB;
    }

    /// <summary>A storage migration: the disk of the instance on <see cref="SourceHostId"/> goes from one pool to another, the VM stays.</summary>
    public static Migration OfStorage(Guid instanceId, Guid tenantId, Guid hostId, Guid? sourcePoolId, Guid targetPoolId, int? bandwidthMbps,
                                      DateTimeOffset now)
    {
        if (sourcePoolId == targetPoolId) throw new FieldValidationException("targetPoolId", "The disk already lives on that pool.");
        return new Migration(instanceId, tenantId, MigrationType.Storage, hostId, null, null, bandwidthMbps, now)
        {
            SourcePoolId = sourcePoolId,
            TargetPoolId = targetPoolId,
        };
    }

    /// <summary>How the disk copy is going (cold migration's copy-disks, storage migration's copy and mirror, a live migration's local disk).</summary>
    public void RecordDiskCopy(double copiedMiB, double totalMiB)
    {
        if (Stage is not (MigrationStage.CopyDisks or MigrationStage.Copy or MigrationStage.Mirror or MigrationStage.PreCopy))
            throw new InvalidStateException("The disk copy is recorded while disks are copied.");
        DiskCopiedMiB = copiedMiB;
        DiskTotalMiB = totalMiB;
    }

    /// <summary>A cold migration's downtime: the VM was off from its stop (the stop stage's start) until now.</summary>
    public void RecordColdDowntime(DateTimeOffset now)
    {
        if (Type != MigrationType.Cold) throw new InvalidStateException("Only a cold migration stops the VM.");
        var stop = Stages.FirstOrDefault(x => x.Stage == MigrationStage.Stop);
        DowntimeMs = RestartOnTarget && stop is not null ? Math.Max(0, (now - stop.StartedAt).TotalMilliseconds) : 0;
    }

    public void Complete(string detail, DateTimeOffset now)
    {
        if (Stage != Order[Type][^1]) throw new InvalidStateException($"The migration completes after '{EnumWords.ToWord(Order[Type][^1])}'.");
        Finish(MigrationStatus.Completed, detail, now);
    }

    /// <summary>A failure. Before commitment the VM stays on the source; after it, it is the target's whatever failed.</summary>
    public void Fail(string reason, DateTimeOffset now)
    {
        if (!IsLive) throw new InvalidStateException($"The migration is {EnumWords.ToWord(Status)}.");
        Finish(MigrationStatus.Failed, reason, now);
    }

    /// <summary>Cancel: only while the VM is still the source's (commitment not begun).</summary>
    public void Cancel(string reason, DateTimeOffset now)
    {
        if (!IsLive) throw new InvalidStateException($"The migration is {EnumWords.ToWord(Status)}.");
        if (Stages.Any(s => s.Stage == MigrationStage.Commitment))
            throw new InvalidStateException("The migration is committing; it can no longer be cancelled.");
        Finish(MigrationStatus.Cancelled, reason, now);
    }

    /// <summary>Progress in percent: each stage an equal share, pre-copy's share filled by the part of memory sent.</summary>
    public int Percent()
    {
        if (Status == MigrationStatus.Completed) return 100;
        if (Stage is not { } stage) return 0;
        // An optional stage counts only on the path that takes it.
        var order = Order[Type].Where(o => !Optional(o) || Stages.Any(x => x.Stage == o)).ToArray();
        var within = 0.0;
        if (stage == MigrationStage.PreCopy && TransferredMiB is { } sentNow && RemainingMiB is { } left && sentNow + left > 0)
            within = sentNow / (sentNow + left);
        else if (stage == MigrationStage.PreCopy && Rounds.Count > 0)
        {
            var sent = Rounds.Sum(r => r.SentMiB);
            within = sent + Rounds[^1].RemainingMiB > 0 ? sent / (sent + Rounds[^1].RemainingMiB) : 0;
        }
        if (stage == MigrationStage.PostCopy && TransferredMiB is { } pulledNow && RemainingMiB is { } toPull && pulledNow + toPull > 0)
            within = pulledNow / (pulledNow + toPull);
        if (stage is MigrationStage.CopyDisks or MigrationStage.Copy && DiskTotalMiB > 0) within = Math.Clamp((DiskCopiedMiB ?? 0) / DiskTotalMiB.Value, 0, 1);
        return Math.Min(99, (int)Math.Floor((Array.IndexOf(order, stage) + within) * 100.0 / order.Length));
    }

    private void Finish(MigrationStatus status, string reason, DateTimeOffset now)
    {
        EndStage(now);
        Status = status;
        Reason = reason;
        EndedAt = now;
    }

    private void EndStage(DateTimeOffset now)
    {
        if (Stages.Count > 0 && Stages[^1].EndedAt is null) Stages[^1] = Stages[^1] with { EndedAt = now };
    }
}
