using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>A live migration the source's driver runs: the phase, the stream, and what QEMU said so far.</summary>
internal sealed class QemuMigration(LiveMigrationRequest request, long startedAt)
{
    public LiveMigrationRequest Request { get; } = request;
    public long StartedAt { get; } = startedAt;
    /// <summary>A local disk is mirrored into the target's NBD export first; the memory follows once it is in sync.</summary>
    public bool Mirroring { get; set; }
    public bool ForceRequested { get; set; }
    /// <summary>Set once by whoever handles the pause before the switch-over (the event watcher or a poll).</summary>
    public int SwitchingOver;
    public List<PreCopyRound> Rounds { get; } = [];
    public long LastSync { get; set; }
    public double LastTransferredMiB { get; set; }
    public long LastRoundAt { get; set; } = startedAt;
    public LiveMigrationState State { get; set; } = LiveMigrationState.Active;
    public PreCopyOutcome? Outcome { get; set; }
    public double? DowntimeMs { get; set; }
    public double? TotalTimeMs { get; set; }
    public string? Error { get; set; }
    public double TransferredMiB { get; set; }
    public double RemainingMiB { get; set; }
    public double DiskCopiedMiB { get; set; }
    public double DiskTotalMiB { get; set; }
}

/// <summary>
/// Live migration, the source's side (../shared/qemu-guest sections 3 and 4; the target's side and the two-sided
/// protocol: QemuDriver.Migrations.cs). Given the target's addresses: for a local disk, <c>blockdev-mirror</c> into the
/// NBD export until it is in sync, then the memory with <c>pause-before-switchover</c> so the mirror's last writes are
/// flushed (<c>block-job-cancel</c> of the ready mirror, then <c>migrate-continue</c>) while the guest is paused; with
/// shared storage, the memory alone. Each <see cref="AdvanceLiveMigrationAsync"/> reads <c>query-block-jobs</c> /
/// <c>query-migrate</c> and acts: a new <c>dirty-sync-count</c> is a new round; past the time budget the escalation
/// applies (post-copy: <c>migrate-start-postcopy</c>; abort: <c>migrate_cancel</c>; auto-converge: QEMU's capability, set
/// at the start — known to corrupt guests under TCG 7.2). <c>postcopy-active</c> is post-copy's pull (reported as
/// <see cref="LiveMigrationState.PostCopy"/>); <c>completed</c> is the switch-over: the source is <c>postmigrate</c>, the
/// destination paused. <see cref="GetLiveMigrationAsync"/> only reports what the last advance saw.
/// </summary>
public sealed partial class QemuDriver
{
    private readonly ConcurrentDictionary<Guid, QemuMigration> _outgoing = new();

    public async Task StartLiveMigrationAsync(LiveMigrationRequest r, CancellationToken ct)
    {
        var id = r.Spec.InstanceId;
        using var held = await LockAsync(id, ct);
        if (_outgoing.TryGetValue(id, out var running) && running.State is LiveMigrationState.Active or LiveMigrationState.Switched)
        {
            if (running.Request.Target.Id == r.Target.Id) return;
            throw new HypervisorException($"VM {id} is already migrating to another host.", false);
        }
        if (r.Incoming.MigrationUri is null) throw new HypervisorException($"The target has no address for VM {id}'s memory.", false);
        await AdoptAsync(r.Source, id, ct);
        var source = RunningOn(r.Source, id);
        var m = new QemuMigration(r, Stopwatch.GetTimestamp());
        try
        {
            if (r.Incoming.DiskUri is { } nbd)
            {
                // Block migration: the disk first (the guest keeps writing; a ready mirror copies each write to both).
                var target = new Uri(nbd);
                await source.Qmp.ExecuteAsync("blockdev-add", new JsonObject
                {
                    ["driver"] = "raw", ["node-name"] = NbdNode,
                    ["file"] = new JsonObject
                    {
                        ["driver"] = "nbd", ["export"] = target.AbsolutePath.Trim('/'),
                        ["server"] = new JsonObject { ["type"] = "inet", ["host"] = target.Host, ["port"] = target.Port.ToString() },
                    },
                }, ct);
                // Only the blocks the target lacks: what the source's overlay holds when the target's disk is an overlay of the
                // same template (or the source's disk has no template: unwritten blocks read as zeros on both sides), else
                // everything. (A full mirror also counts the zeros against its speed limit: 10 s for an empty GiB at 100 MiB/s.)
                var hasBase = JsonNode.Parse(await QemuImgAsync(["info", "-U", "--output=json", Read(VmDirectory(r.Source, id)).Disk], ct))?["backing-filename"] is not null;
                var sync = !hasBase || r.Incoming.DiskBase == r.Spec.ImageName ? "top" : "full";
                await source.Qmp.ExecuteAsync("blockdev-mirror", new JsonObject
                {
                    ["job-id"] = MirrorJob, ["device"] = await RootNodeAsync(source, ct), ["target"] = NbdNode, ["sync"] = sync,
                    ["speed"] = (long)Math.Max(1, r.BandwidthMiBps * MiB),
                }, ct);
                m.Mirroring = true;
            }
            else
            {
                await SendMemoryAsync(source, m, ct);
            }
        }
        catch (QmpException ex)
        {
            await StopSendingAsync(source, ct);
            throw new HypervisorException($"The live migration of VM {id} could not start: {ex.Message}", isTransient: false, ex);
        }
        _outgoing[id] = m;
    }

    /// <summary>One look at QEMU that acts on what it sees (<see cref="AdvanceAsync"/>), under the VM's lock; then where it stands.</summary>
    public async Task<LiveMigrationStatus> AdvanceLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        if (OutgoingFrom(source, instanceId) is not { } m) return Unknown(instanceId);
        if (m.State is LiveMigrationState.Active or LiveMigrationState.PostCopy)
        {
            using var held = await LockAsync(instanceId, ct);
            if (m.State is LiveMigrationState.Active or LiveMigrationState.PostCopy) await AdvanceAsync(m, ct);
        }
        return StatusOf(m);
    }

    /// <summary>What the last advance saw (read under the VM's lock, so never half an advance); sends nothing to QEMU.</summary>
    public async Task<LiveMigrationStatus> GetLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        if (OutgoingFrom(source, instanceId) is not { } m) return Unknown(instanceId);
        using var held = await LockAsync(instanceId, ct);
        return StatusOf(m);
    }

    private QemuMigration? OutgoingFrom(HostRef source, Guid instanceId) =>
        _outgoing.TryGetValue(instanceId, out var m) && m.Request.Source.Id == source.Id ? m : null;

    private static LiveMigrationStatus Unknown(Guid instanceId) =>
        new(LiveMigrationState.Failed, [], 0, 0, 0, 0, null, null,
            $"No live migration of VM {instanceId} is known on its source host (lost with an agent restart?).");

    private static LiveMigrationStatus StatusOf(QemuMigration m) =>
        new(m.State, m.Rounds.ToList(), m.TransferredMiB, m.RemainingMiB, 0, m.Rounds.Count > 0 ? m.Rounds[^1].ExpectedDowntimeMs : 0,
            m.Outcome, m.DowntimeMs, m.Error, m.DiskCopiedMiB, m.DiskTotalMiB, m.TotalTimeMs);

    /// <summary>A poll that ends at QEMU's next <c>MIGRATION</c> event (the switch-over, a failure) or the disk's <c>BLOCK_JOB_READY</c>.</summary>
    public async Task WaitForLiveMigrationAsync(HostRef source, Guid instanceId, TimeSpan timeout, CancellationToken ct)
    {
        if (!_outgoing.TryGetValue(instanceId, out var m) || m.State is not (LiveMigrationState.Active or LiveMigrationState.PostCopy)
            || !_running.TryGetValue((source.Name, instanceId), out var vm) || vm.HasExited)
            return;
        var since = DateTimeOffset.UtcNow;
        try
        {
            await vm.Qmp.WaitForEventAsync(m.Mirroring ? "BLOCK_JOB_READY" : "MIGRATION", timeout, null, since, ct);
        }
        catch (Exception ex) when (ex is TimeoutException or QmpException)
        {
            // The interval passed (or QEMU went away: the next look says so).
        }
    }

    public async Task ForceCompleteLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        if (!_outgoing.TryGetValue(instanceId, out var m) || m.State != LiveMigrationState.Active) return;
        using var held = await LockAsync(instanceId, ct);
        m.Outcome = PreCopyOutcome.ForceCompleted;
        if (m.Mirroring) { m.ForceRequested = true; return; }                    // post-copy as soon as the memory is on its way
        await RunningOn(source, instanceId).Qmp.ExecuteAsync("migrate-start-postcopy", null, ct);
    }

    /// <summary>
    /// The memory: capabilities and parameters from the request, then <c>migrate</c> to the target's address. With a disk
    /// mirrored first, QEMU pauses before the switch-over; a watcher of QEMU's <c>MIGRATION</c> events finishes the disk
    /// there at once (every millisecond of that pause is downtime).
    /// </summary>
    private async Task SendMemoryAsync(QemuProcess source, QemuMigration m, CancellationToken ct)
    {
        var r = m.Request;
        var since = DateTimeOffset.UtcNow;
        var capabilities = new JsonArray
        {
            Capability("postcopy-ram", true), Capability("pause-before-switchover", r.Incoming.DiskUri is not null), Capability("events", true),
        };
        if (r.Escalation == ConvergenceEscalation.AutoConverge) capabilities.Add(Capability("auto-converge", true));
        await source.Qmp.ExecuteAsync("migrate-set-capabilities", new JsonObject { ["capabilities"] = capabilities }, ct);
        await source.Qmp.ExecuteAsync("migrate-set-parameters", new JsonObject
        {
            ["downtime-limit"] = r.MaxDowntimeMs,
            ["max-bandwidth"] = (long)Math.Max(1, r.BandwidthMiBps * MiB),
        }, ct);
        await source.Qmp.ExecuteAsync("migrate", new { uri = r.Incoming.MigrationUri }, ct);
        m.LastRoundAt = Stopwatch.GetTimestamp();
        if (r.Incoming.DiskUri is not null) _ = SwitchOverWhenPausedAsync(source, m, since);
        if (m.ForceRequested) await source.Qmp.ExecuteAsync("migrate-start-postcopy", null, ct);
    }

    /// <summary>Waits for QEMU's pause before the switch-over and finishes it (or leaves it to the next poll if the wait fails).</summary>
    private async Task SwitchOverWhenPausedAsync(QemuProcess source, QemuMigration m, DateTimeOffset since)
    {
        try
        {
            var timeout = TimeSpan.FromSeconds(Math.Max(60, m.Request.TimeoutSecondsPerGiB * 8));
            var paused = await source.Qmp.WaitForEventAsync("MIGRATION", timeout,
                e => e.Data?["status"]?.GetValue<string>() is "pre-switchover" or "failed" or "cancelled", since);
            if (paused.Data?["status"]?.GetValue<string>() == "pre-switchover") await FinishDiskAndSwitchAsync(source, m, CancellationToken.None);
        }
        catch (Exception ex) when (ex is QmpException or TimeoutException or HypervisorException)
        {
            log.LogDebug("Switch-over watcher of VM {InstanceId} stopped: {Message}", m.Request.Spec.InstanceId, ex.Message);
        }
    }

    /// <summary>Paused before the switch: the disk's last writes go across, the NBD client goes, then the switch. Once per migration.</summary>
    private static async Task FinishDiskAndSwitchAsync(QemuProcess source, QemuMigration m, CancellationToken ct)
    {
        if (Interlocked.Exchange(ref m.SwitchingOver, 1) == 1) return;
        var since = DateTimeOffset.UtcNow;
        await source.Qmp.ExecuteAsync("block-job-cancel", new JsonObject { ["device"] = MirrorJob }, ct);
        await source.Qmp.WaitForEventAsync("BLOCK_JOB_COMPLETED", TimeSpan.FromSeconds(60), e => e.Data?["device"]?.GetValue<string>() == MirrorJob, since, ct);
        await source.Qmp.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = NbdNode }, ct);
        await source.Qmp.ExecuteAsync("migrate-continue", new JsonObject { ["state"] = "pre-switchover" }, ct);
    }

    /// <summary>One look at QEMU: the disk's mirror, then query-migrate — new rounds, the switch-over, the end, or the escalation.</summary>
    private async Task AdvanceAsync(QemuMigration m, CancellationToken ct)
    {
        var id = m.Request.Spec.InstanceId;
        var source = RunningOn(m.Request.Source, id);
        if (m.Mirroring)
        {
            var (job, endedWith) = await BlockJobAsync(source, MirrorJob, ct);
            if (job is null)
            {
                await FailAsync(m, source, $"The disk's mirror to the target ended: {endedWith ?? "no reason given"}", ct);
                return;
            }
            m.DiskCopiedMiB = (job["offset"]?.GetValue<long>() ?? 0) / MiB;
            m.DiskTotalMiB = (job["len"]?.GetValue<long>() ?? 0) / MiB;
            if (job["ready"]?.GetValue<bool>() != true) return;
            m.Mirroring = false;                                                 // in sync: every write now reaches both
            await SendMemoryAsync(source, m, ct);
        }
        var info = (await source.Qmp.ExecuteAsync("query-migrate", null, ct))?.AsObject() ?? [];
        RecordRound(m, info);
        switch (info["status"]?.GetValue<string>())
        {
            case "pre-switchover":
                await FinishDiskAndSwitchAsync(source, m, ct);                 // unless the event watcher got there first
                return;
            case "postcopy-active":
                // Switched to post-copy: the rest is pulled by the target; remaining is what it still lacks.
                m.State = LiveMigrationState.PostCopy;
                m.Outcome ??= PreCopyOutcome.PostCopy;
                return;
            case "completed":
                m.State = LiveMigrationState.Switched;
                m.DowntimeMs = info["downtime"]?.GetValue<long>() ?? 0;
                m.TotalTimeMs = info["total-time"]?.GetValue<long>() is > 0 and var total ? total : null;   // not always reported
                m.Outcome ??= PreCopyOutcome.Converged;
                log.LogInformation("QEMU migrated VM {InstanceId}: total-time {TotalMs} ms, downtime {DowntimeMs} ms, {MiB:F1} MiB, {Rounds} round(s), disk {Disk:F1} MiB",
                    id, m.TotalTimeMs, m.DowntimeMs, m.TransferredMiB, m.Rounds.Count, m.DiskTotalMiB);
                return;
            case "failed":
                await FailAsync(m, source, $"QEMU's migration failed: {info["error-desc"]?.GetValue<string>() ?? "no reason given"}", ct);
                return;
            case "cancelled":
                await FailAsync(m, source, m.Error, ct);
                return;
        }
        var budget = TimeSpan.FromSeconds(m.Request.TimeoutSecondsPerGiB * Math.Max(0.125, m.Request.Spec.Resources.MemoryMiB / 1024.0));
        if (m.Outcome is null && (Stopwatch.GetElapsedTime(m.StartedAt) > budget || m.Rounds.Count >= m.Request.MaxRounds))
        {
            if (m.Request.Escalation == ConvergenceEscalation.Abort)
            {
                m.Error = $"Pre-copy did not converge within {budget.TotalSeconds:0} s / {m.Request.MaxRounds} rounds; aborted (the plan's escalation).";
                m.Outcome = PreCopyOutcome.Aborted;
                await source.Qmp.ExecuteAsync("migrate_cancel", null, ct);
            }
            else if (m.Request.Escalation == ConvergenceEscalation.PostCopy)
            {
                await source.Qmp.ExecuteAsync("migrate-start-postcopy", null, ct);
                m.Outcome = PreCopyOutcome.PostCopy;
            }
        }
    }

    /// <summary>Each new <c>dirty-sync-count</c> is a round: what it sent, how long it took, the dirty rate, what remains.</summary>
    private static void RecordRound(QemuMigration m, JsonObject info)
    {
        var ram = info["ram"]?.AsObject();
        var now = Stopwatch.GetTimestamp();
        m.TransferredMiB = (ram?["transferred"]?.GetValue<long>() ?? 0) / MiB;
        m.RemainingMiB = (ram?["remaining"]?.GetValue<long>() ?? 0) / MiB;
        var sync = ram?["dirty-sync-count"]?.GetValue<long>() ?? 0;
        if (sync <= m.LastSync) return;
        var pageSize = ram?["page-size"]?.GetValue<long>() ?? 4096;
        m.Rounds.Add(new PreCopyRound((int)sync, m.TransferredMiB - m.LastTransferredMiB, Stopwatch.GetElapsedTime(m.LastRoundAt, now).TotalMilliseconds,
            (ram?["dirty-pages-rate"]?.GetValue<long>() ?? 0) * pageSize / MiB, m.RemainingMiB,
            info["expected-downtime"]?.GetValue<long>() ?? 0, (info["cpu-throttle-percentage"]?.GetValue<long>() ?? 0) / 100.0));
        m.LastSync = sync;
        m.LastTransferredMiB = m.TransferredMiB;
        m.LastRoundAt = now;
    }

    /// <summary>The migration ended without switching over: the source stops sending and keeps the VM.</summary>
    private async Task FailAsync(QemuMigration m, QemuProcess source, string? error, CancellationToken ct)
    {
        m.State = error is null ? LiveMigrationState.Cancelled : LiveMigrationState.Failed;
        m.Error = error;
        await StopSendingAsync(source, ct);
        _outgoing.TryRemove(m.Request.Spec.InstanceId, out _);
    }
}
