using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;
using Microsoft.Extensions.Logging;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>
/// What a target host prepared for a VM about to arrive: live — the destination QEMU (<c>-incoming defer -S</c>) and,
/// for a local disk, the NBD export of its empty disk; cold — a <c>qemu-nbd</c> export of the empty disk. Written to
/// <c>incoming.json</c> in the VM's directory too, so an agent that restarts can discard it.
/// </summary>
internal sealed record QemuIncoming(IncomingRequest Request, IncomingEndpoint Endpoint, string Directory, string Disk, bool DiskIsShared)
{
    [System.Text.Json.Serialization.JsonIgnore] public QemuProcess? Process { get; init; }
}

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
/// Live migration, one host per call (../shared/qemu-guest sections 3 and 4). The target prepares: its QEMU starts with
/// <c>-incoming defer -S</c> on the VM's disk — the pool's file when the disk lives on a shared pool, else a new empty
/// qcow2 of the flavor's size that it exports over NBD (<c>nbd-server-start</c>, <c>block-export-add</c>) — sets
/// <c>postcopy-ram</c> and listens (<c>migrate-incoming</c>) on <c>Iaas:Qemu:MigrationAddress</c>. The source, given
/// those addresses: for a local disk, <c>blockdev-mirror</c> into the NBD export until it is in sync, then the memory
/// with <c>pause-before-switchover</c> so the mirror's last writes are flushed (<c>block-job-cancel</c> of the ready
/// mirror, then <c>migrate-continue</c>) while the guest is paused; with shared storage, the memory alone. Each
/// <see cref="GetLiveMigrationAsync"/> reads <c>query-block-jobs</c> / <c>query-migrate</c>: a new
/// <c>dirty-sync-count</c> is a new round; past the time budget the escalation applies (post-copy:
/// <c>migrate-start-postcopy</c>; abort: <c>migrate_cancel</c>; auto-converge: QEMU's capability, set at the start —
/// known to corrupt guests under TCG 7.2). <c>postcopy-active</c> is post-copy's pull (reported as
/// <see cref="LiveMigrationState.PostCopy"/>); <c>completed</c> is the switch-over: the source is <c>postmigrate</c>, the
/// destination paused. Activation (target) ends the export and <c>cont</c>s; the release (source) quits the paused
/// source and removes its copy; a cancel (source) stops the stream and resumes the guest; a discard (target) quits the
/// destination and removes what it received.
/// </summary>
public sealed partial class QemuDriver
{
    private const double MiB = 1024 * 1024;
    private const string NbdNode = "migration-nbd";
    private const string MirrorJob = "migration-disk";
    private const string Export = "disk0";
    private readonly ConcurrentDictionary<(string Host, Guid Id), QemuIncoming> _incoming = new();
    private readonly ConcurrentDictionary<Guid, QemuMigration> _outgoing = new();

    /// <summary>
    /// What pre-copy will have to send and chase: the guest's non-zero memory (<see cref="GuestMemoryScan"/>: QEMU sends zero
    /// pages as a flag) and the memory it dirties in a second, sampled by QEMU (<c>calc-dirty-rate</c>, page-sampling: distinct
    /// pages, so a guest rewriting one buffer shows that buffer — its writable working set — however often it rewrites it).
    /// </summary>
    public async Task<GuestMemory> GetGuestMemoryAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        var vm = RunningOn(host, instanceId);
        var memory = Read(VmDirectory(host, instanceId)).MemoryMiB;
        var touched = Math.Clamp(GuestMemoryScan.NonZeroMiB(vm.Pid, memory) ?? memory / 2.0, 0, memory);
        await vm.Qmp.ExecuteAsync("calc-dirty-rate", new JsonObject { ["calc-time"] = 1, ["sample-pages"] = 4096 }, ct);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var rate = (await vm.Qmp.ExecuteAsync("query-dirty-rate", null, ct))?.AsObject();
            if (rate?["status"]?.GetValue<string>() == "measured")
            {
                var dirty = Math.Max(1, rate["dirty-rate"]?.GetValue<double>() ?? 1);
                return new GuestMemory(memory, touched, Math.Min(memory, dirty), dirty);
            }
            if (DateTime.UtcNow > deadline) return GuestMemory.Idle(memory) with { TouchedMiB = touched };
            await Task.Delay(100, ct);
        }
    }

    public async Task<IncomingEndpoint> PrepareIncomingAsync(IncomingRequest r, CancellationToken ct)
    {
        var id = r.Spec.InstanceId;
        using var held = await LockAsync(id, ct);
        if (_incoming.TryGetValue((r.Target.Name, id), out var prepared))
        {
            if (prepared.Request.Type == r.Type && prepared.Request.Source.Id == r.Source.Id) return prepared.Endpoint;
            throw new HypervisorException($"VM {id} is already arriving at host '{r.Target.Name}' another way.", false);
        }
        var dir = VmDirectory(r.Target, id);
        if (File.Exists(Path.Combine(dir, "vm.json"))) throw new HypervisorException($"VM {id} already exists on host '{r.Target.Name}'.", false);
        var shared = r.Spec.Pool is { } pool;
        var disk = shared ? PoolDisk(r.Spec.Pool!, id) : Path.Combine(dir, "disk.qcow2");
        if (shared && !File.Exists(disk))
            throw new HypervisorException($"Pool '{r.Spec.Pool}' is not mounted on host '{r.Target.Name}' ({disk} not found).", false);
        Directory.CreateDirectory(dir);
        QemuProcess? target = null;
        try
        {
            // A live arrival on a local disk: an overlay on this host's copy of the image's template, if it has one (the
            // source then sends only its overlay's blocks), else a blank disk; either way the flavor's size.
            var diskBase = !shared && r.Type == MigrationType.Live ? await CreateDiskAsync(r.Spec, disk, ct) : null;
            if (!shared && r.Type == MigrationType.Cold) await QemuImgAsync(["create", "-q", "-f", "qcow2", disk, $"{DiskGiB(r.Spec)}G"], ct);
            var address = options.MigrationAddress;
            IncomingEndpoint endpoint;
            if (r.Type == MigrationType.Live)
            {
                var record = await RecordForAsync(r.Target, r.Spec, disk, ct);
                target = await QemuProcess.StartAsync(SpecOf(record, incoming: true, paused: true), dir, options.Binary, ct);
                await target.Qmp.ExecuteAsync("migrate-set-capabilities", new JsonObject { ["capabilities"] = new JsonArray { Capability("postcopy-ram", true) } }, ct);
                string? diskUri = null;
                if (!shared)
                {
                    var nbdPort = QemuProcess.FreePort(address);
                    await target.Qmp.ExecuteAsync("nbd-server-start", new JsonObject
                    {
                        ["addr"] = new JsonObject { ["type"] = "inet", ["data"] = new JsonObject { ["host"] = address, ["port"] = nbdPort.ToString() } },
                    }, ct);
                    await target.Qmp.ExecuteAsync("block-export-add", new JsonObject
                    {
                        ["type"] = "nbd", ["id"] = Export, ["node-name"] = "disk0", ["writable"] = true, ["name"] = Export,
                    }, ct);
                    diskUri = $"nbd://{address}:{nbdPort}/{Export}";
                }
                var uri = $"tcp:{address}:{QemuProcess.FreePort(address)}";
                await target.Qmp.ExecuteAsync("migrate-incoming", new { uri }, ct);
                endpoint = new IncomingEndpoint(uri, diskUri, diskBase);
            }
            else
            {
                endpoint = new IncomingEndpoint(null, shared ? null : await ServeDiskAsync(dir, disk, ct));
            }
            var arriving = new QemuIncoming(r, endpoint, dir, disk, shared) { Process = target };
            await File.WriteAllTextAsync(Path.Combine(dir, "incoming.json"), JsonSerializer.Serialize(arriving), ct);
            _incoming[(r.Target.Name, id)] = arriving;
            log.LogInformation("Host {Host} ready for VM {InstanceId} ({Type}): {Memory} {Disk}", r.Target.Name, id, r.Type, endpoint.MigrationUri, endpoint.DiskUri);
            return endpoint;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (target is not null) await target.DisposeAsync(keepDirectory: true);
            StopDiskServer(dir);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            throw ex as HypervisorException ?? new HypervisorException($"Host '{r.Target.Name}' could not prepare for VM {id}: {ex.Message}", isTransient: false, ex);
        }
    }

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

    public async Task<LiveMigrationStatus> GetLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        if (!_outgoing.TryGetValue(instanceId, out var m) || m.Request.Source.Id != source.Id)
            return new LiveMigrationStatus(LiveMigrationState.Failed, [], 0, 0, 0, 0, null, null,
                $"No live migration of VM {instanceId} is known on its source host (lost with an agent restart?).");
        if (m.State is LiveMigrationState.Active or LiveMigrationState.PostCopy)
        {
            using var held = await LockAsync(instanceId, ct);
            if (m.State is LiveMigrationState.Active or LiveMigrationState.PostCopy) await AdvanceAsync(m, ct);
        }
        return new LiveMigrationStatus(m.State, m.Rounds.ToList(), m.TransferredMiB, m.RemainingMiB, 0,
            m.Rounds.Count > 0 ? m.Rounds[^1].ExpectedDowntimeMs : 0, m.Outcome, m.DowntimeMs, m.Error, m.DiskCopiedMiB, m.DiskTotalMiB, m.TotalTimeMs);
    }

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

    public async Task CancelOutgoingAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        _outgoing.TryRemove(instanceId, out _);
        await CancelCopyAsync(instanceId);
        await AdoptAsync(source, instanceId, ct);
        if (!_running.TryGetValue((source.Name, instanceId), out var vm) || vm.HasExited) return;
        await StopSendingAsync(vm, ct);
    }

    public async Task DiscardIncomingAsync(HostRef target, Guid instanceId, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        var dir = VmDirectory(target, instanceId);
        if (_incoming.TryRemove((target.Name, instanceId), out var arriving) && arriving.Process is { } process)
            await process.DisposeAsync(keepDirectory: true);
        else if (File.Exists(Path.Combine(dir, "incoming.json")))
            KillOrphan(dir);                                                     // prepared before this agent restarted
        else
            return;                                                              // nothing arriving (or already the host's VM)
        StopDiskServer(dir);
        Directory.Delete(dir, recursive: true);                                 // a pool's file lies outside: it stays
    }

    public async Task ActivateIncomingAsync(HostRef target, Guid instanceId, bool run, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        var dir = VmDirectory(target, instanceId);
        if (!_incoming.TryGetValue((target.Name, instanceId), out var arriving))
        {
            if (!File.Exists(Path.Combine(dir, "vm.json")) || File.Exists(Path.Combine(dir, "incoming.json")))
                throw new HypervisorException($"Nothing arrived for VM {instanceId} on host '{target.Name}'; nothing to activate.", false);
            await AdoptAsync(target, instanceId, ct);                             // activated before
            if (run && !IsRunning(target, instanceId)) await BootAsync(target, dir, Read(dir), ct);
            return;
        }
        if (arriving.Request.Type == MigrationType.Live)
        {
            var vm = arriving.Process ?? throw new HypervisorException($"VM {instanceId}'s destination is gone.", false);
            var state = await vm.StatusAsync(ct);
            if (state == "inmigrate") throw new HypervisorException($"VM {instanceId}'s memory has not arrived on host '{target.Name}' yet.", isTransient: true);
            if (!arriving.DiskIsShared)
            {
                // The source dropped its NBD client at the switch-over; the export can go (the order QEMU needs).
                await vm.Qmp.ExecuteAsync("block-export-del", new JsonObject { ["id"] = Export }, ct);
                await vm.Qmp.ExecuteAsync("nbd-server-stop", null, ct);
            }
            if (state != "running") await vm.Qmp.ExecuteAsync("cont", null, ct);
            await WriteRecordAsync(dir, await RecordForAsync(target, arriving.Request.Spec, arriving.Disk, ct), ct);
            _running[(target.Name, instanceId)] = vm;
        }
        else
        {
            if (!File.Exists(Path.Combine(dir, "vm.json"))) throw new HypervisorException($"VM {instanceId} is not registered on host '{target.Name}'.", false);
            if (run) await BootAsync(target, dir, Read(dir), ct);
        }
        File.Delete(Path.Combine(dir, "incoming.json"));
        _incoming.TryRemove((target.Name, instanceId), out _);
    }

    public async Task ReleaseOutgoingAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        _outgoing.TryRemove(instanceId, out _);
        _copies.TryRemove(instanceId, out _);
        // Its disk went with it: the local copy goes; a pool's file is the target's now and stays.
        await RemoveAsync(source, instanceId, VmDirectory(source, instanceId));
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

    /// <summary>
    /// Stops whatever the source sends and leaves the guest running: the memory stream cancelled (or, if it switched
    /// over already, the guest resumed here), the disk's mirror cancelled and its NBD client dropped. Idempotent.
    /// </summary>
    private static async Task StopSendingAsync(QemuProcess vm, CancellationToken ct)
    {
        var status = (await vm.Qmp.ExecuteAsync("query-migrate", null, ct))?["status"]?.GetValue<string>();
        if (status is "setup" or "active" or "pre-switchover" or "device" or "wait-unplug")
        {
            await vm.Qmp.ExecuteAsync("migrate_cancel", null, ct);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await vm.Qmp.ExecuteAsync("query-migrate", null, ct))?["status"]?.GetValue<string>() is "cancelling" or "active" or "pre-switchover"
                   && DateTime.UtcNow < deadline)
                await Task.Delay(20, ct);
        }
        if ((await BlockJobAsync(vm, MirrorJob, ct)).Job is not null)
        {
            var since = DateTimeOffset.UtcNow;
            await vm.Qmp.ExecuteAsync("block-job-cancel", new JsonObject { ["device"] = MirrorJob, ["force"] = true }, ct);
            try
            {
                await vm.Qmp.WaitForEventAsync("BLOCK_JOB_CANCELLED", TimeSpan.FromSeconds(30), e => e.Data?["device"]?.GetValue<string>() == MirrorJob, since, ct);
            }
            catch (TimeoutException)
            {
                // Ended another way (completed meanwhile): the node below goes either way.
            }
        }
        await TryDeleteNodeAsync(vm, NbdNode, ct);                               // no NBD client (shared storage, or gone): nothing
        if (await vm.StatusAsync(ct) is "postmigrate" or "paused" or "finish-migrate") await vm.Qmp.ExecuteAsync("cont", null, ct);
    }

    /// <summary>The block node the VM's disk device reads (<c>disk0</c> at boot; the pool's node after a storage migration's pivot).</summary>
    private static async Task<string> RootNodeAsync(QemuProcess vm, CancellationToken ct)
    {
        var devices = (await vm.Qmp.ExecuteAsync("query-block", null, ct))?.AsArray() ?? [];
        return devices.Select(d => d?["inserted"]?["node-name"]?.GetValue<string>()).FirstOrDefault(n => n is not null)
               ?? throw new HypervisorException("The VM has no disk to migrate.", false);
    }

    private static JsonObject Capability(string name, bool state) => new() { ["capability"] = name, ["state"] = state };
}
