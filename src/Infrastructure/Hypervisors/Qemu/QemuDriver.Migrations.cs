using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;
using Microsoft.Extensions.Logging;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>A live migration the qemu driver runs: the destination's QEMU, the stream, and what query-migrate said so far.</summary>
internal sealed class QemuMigration(LiveMigrationRequest request, QemuProcess target, long startedAt)
{
    public LiveMigrationRequest Request { get; } = request;
    public QemuProcess Target { get; } = target;
    public long StartedAt { get; } = startedAt;
    public List<PreCopyRound> Rounds { get; } = [];
    public long LastSync { get; set; }
    public double LastTransferredMiB { get; set; }
    public long LastRoundAt { get; set; } = startedAt;
    public LiveMigrationState State { get; set; } = LiveMigrationState.Active;
    public PreCopyOutcome? Outcome { get; set; }
    public double? DowntimeMs { get; set; }
    public string? Error { get; set; }
    public double TransferredMiB { get; set; }
    public double RemainingMiB { get; set; }
}

/// <summary>
/// Live migration with shared storage (QEMU's own, ../shared/qemu-guest section 3): the destination QEMU starts with
/// <c>-incoming defer -S</c> on the same disk (the state directory is the shared storage: both hosts' directories on
/// one file system), <c>migrate-incoming</c> there, <c>migrate</c> on the source with <c>downtime-limit</c> and
/// <c>max-bandwidth</c> from the request and <c>postcopy-ram</c> on both sides (for post-copy and force-complete).
/// Each <see cref="GetLiveMigrationAsync"/> reads <c>query-migrate</c>: a new <c>dirty-sync-count</c> is a new round;
/// past the time budget the escalation applies (post-copy: <c>migrate-start-postcopy</c>; abort: <c>migrate_cancel</c>;
/// auto-converge: QEMU's <c>auto-converge</c> capability, set at the start — known to corrupt guests under TCG 7.2).
/// <c>completed</c> is the switch-over: the source is <c>postmigrate</c>, the destination paused; activation resumes
/// it there and hands it the disk; an abort cancels (or resumes the source after a switch-over) and quits the
/// destination. Limitation until the agents coordinate: one agent runs both sides (the hosts' queues on one machine).
/// </summary>
public sealed partial class QemuDriver
{
    private const double MiB = 1024 * 1024;
    private readonly ConcurrentDictionary<Guid, QemuMigration> _migrations = new();

    public async Task<GuestMemory> GetGuestMemoryAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        var vm = RunningOn(host, instanceId);
        var memory = Read(VmDirectory(host, instanceId)).MemoryMiB;
        // QEMU samples the dirty rate over a second (calc-dirty-rate), then reports it (query-dirty-rate).
        await vm.Qmp.ExecuteAsync("calc-dirty-rate", new JsonObject { ["calc-time"] = 1 }, ct);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var rate = (await vm.Qmp.ExecuteAsync("query-dirty-rate", null, ct))?.AsObject();
            if (rate?["status"]?.GetValue<string>() == "measured")
            {
                var dirty = rate["dirty-rate"]?.GetValue<double>() ?? 1;
                return new GuestMemory(memory, memory / 2, Math.Min(memory, Math.Max(1, dirty)), Math.Max(1, dirty));
            }
            if (DateTime.UtcNow > deadline) return GuestMemory.Idle(memory);
            await Task.Delay(100, ct);
        }
    }

    public async Task StartLiveMigrationAsync(LiveMigrationRequest r, CancellationToken ct)
    {
        var id = r.Spec.InstanceId;
        using var held = await LockAsync(id, ct);
        if (_migrations.TryGetValue(id, out var running) && running.State is LiveMigrationState.Active or LiveMigrationState.Switched)
        {
            if (running.Request.Target.Id == r.Target.Id) return;
            throw new HypervisorException($"VM {id} is already migrating to another host.", false);
        }
        await AdoptAsync(r.Source, id, ct);
        var source = RunningOn(r.Source, id);
        var record = Read(VmDirectory(r.Source, id));
        var targetDir = VmDirectory(r.Target, id);
        Directory.CreateDirectory(targetDir);
        await File.WriteAllTextAsync(Path.Combine(targetDir, "vm.json"), JsonSerializer.Serialize(record), ct);
        QemuProcess? target = null;
        try
        {
            target = await QemuProcess.StartAsync(new QemuVmSpec(record.Name, record.MemoryMiB, record.Vcpus, record.Kernel, record.Initrd, record.Append,
                record.Disk, Incoming: true, Paused: true, Accelerator: options.Accelerator), targetDir, options.Binary, ct);
            var capabilities = new JsonArray { Capability("postcopy-ram", true) };
            if (r.Escalation == ConvergenceEscalation.AutoConverge) capabilities.Add(Capability("auto-converge", true));
            await target.Qmp.ExecuteAsync("migrate-set-capabilities", new JsonObject { ["capabilities"] = new JsonArray { Capability("postcopy-ram", true) } }, ct);
            await source.Qmp.ExecuteAsync("migrate-set-capabilities", new JsonObject { ["capabilities"] = capabilities }, ct);
            await source.Qmp.ExecuteAsync("migrate-set-parameters", new JsonObject
            {
                ["downtime-limit"] = r.MaxDowntimeMs,
                ["max-bandwidth"] = (long)Math.Max(1, r.BandwidthMiBps * MiB),
            }, ct);
            var uri = $"tcp:127.0.0.1:{QemuProcess.FreeLoopbackPort()}";
            await target.Qmp.ExecuteAsync("migrate-incoming", new { uri }, ct);
            await source.Qmp.ExecuteAsync("migrate", new { uri }, ct);
            _migrations[id] = new QemuMigration(r, target, Stopwatch.GetTimestamp());
        }
        catch (Exception ex) when (ex is QmpException or InvalidOperationException or IOException)
        {
            if (target is not null) await target.DisposeAsync(keepDirectory: false);
            throw new HypervisorException($"The live migration of VM {id} could not start: {ex.Message}", isTransient: false, ex);
        }
    }

    public async Task<LiveMigrationStatus> GetLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        if (!_migrations.TryGetValue(instanceId, out var m) || m.Request.Source.Id != source.Id)
            return new LiveMigrationStatus(LiveMigrationState.Failed, [], 0, 0, 0, 0, null, null,
                $"No live migration of VM {instanceId} is known on its source host (lost with an agent restart?).");
        if (m.State == LiveMigrationState.Active) await AdvanceAsync(m, ct);
        return new LiveMigrationStatus(m.State, m.Rounds.ToList(), m.TransferredMiB, m.RemainingMiB, 0,
            m.Rounds.Count > 0 ? m.Rounds[^1].ExpectedDowntimeMs : 0, m.Outcome, m.DowntimeMs, m.Error);
    }

    public async Task ForceCompleteLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        if (!_migrations.TryGetValue(instanceId, out var m) || m.State != LiveMigrationState.Active) return;
        await RunningOn(source, instanceId).Qmp.ExecuteAsync("migrate-start-postcopy", null, ct);
        m.Outcome = PreCopyOutcome.ForceCompleted;
    }

    public async Task AbortLiveMigrationAsync(HostRef source, HostRef target, Guid instanceId, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        if (!_migrations.TryRemove(instanceId, out var m)) return;
        var vm = RunningOn(source, instanceId);
        var status = (await vm.Qmp.ExecuteAsync("query-migrate", null, ct))?["status"]?.GetValue<string>();
        if (status is "setup" or "active" or "postcopy-active" or "pre-switchover") await vm.Qmp.ExecuteAsync("migrate_cancel", null, ct);
        else if (status == "completed") await vm.Qmp.ExecuteAsync("cont", null, ct);      // switched over but not committed: resume here
        await m.Target.DisposeAsync(keepDirectory: false);
    }

    public async Task ActivateMigratedAsync(HostRef source, HostRef target, Guid instanceId, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        if (!_migrations.TryGetValue(instanceId, out var m))
        {
            if (IsRunning(instanceId) && File.Exists(Path.Combine(VmDirectory(target, instanceId), "vm.json"))) return;   // activated before
            throw new HypervisorException($"VM {instanceId} has no switched-over migration to activate.", false);
        }
        if (m.State != LiveMigrationState.Switched) throw new HypervisorException($"VM {instanceId} has not switched over yet.", false);
        await m.Target.Qmp.ExecuteAsync("cont", null, ct);
        // The disk moves with the VM: the destination keeps its open file across the rename (one file system).
        var sourceDir = VmDirectory(source, instanceId);
        var targetDir = VmDirectory(target, instanceId);
        var record = Read(targetDir);
        var disk = Path.Combine(targetDir, "disk.qcow2");
        if (record.Disk != disk && File.Exists(record.Disk)) File.Move(record.Disk, disk);
        await File.WriteAllTextAsync(Path.Combine(targetDir, "vm.json"), JsonSerializer.Serialize(record with { Disk = disk }), ct);
        if (_running.TryRemove(instanceId, out var old)) await old.DisposeAsync(keepDirectory: false);
        else if (Directory.Exists(sourceDir)) Directory.Delete(sourceDir, recursive: true);
        _running[instanceId] = m.Target;
        _migrations.TryRemove(instanceId, out _);
    }

    /// <summary>One look at query-migrate: new rounds, the end, or the escalation once past the time budget.</summary>
    private async Task AdvanceAsync(QemuMigration m, CancellationToken ct)
    {
        var source = RunningOn(m.Request.Source, m.Request.Spec.InstanceId);
        var info = (await source.Qmp.ExecuteAsync("query-migrate", null, ct))?.AsObject() ?? [];
        var ram = info["ram"]?.AsObject();
        var now = Stopwatch.GetTimestamp();
        m.TransferredMiB = (ram?["transferred"]?.GetValue<long>() ?? 0) / MiB;
        m.RemainingMiB = (ram?["remaining"]?.GetValue<long>() ?? 0) / MiB;
        var sync = ram?["dirty-sync-count"]?.GetValue<long>() ?? 0;
        if (sync > m.LastSync)
        {
            var pageSize = ram?["page-size"]?.GetValue<long>() ?? 4096;
            m.Rounds.Add(new PreCopyRound((int)sync, m.TransferredMiB - m.LastTransferredMiB, Stopwatch.GetElapsedTime(m.LastRoundAt, now).TotalMilliseconds,
                (ram?["dirty-pages-rate"]?.GetValue<long>() ?? 0) * pageSize / MiB, m.RemainingMiB,
                info["expected-downtime"]?.GetValue<long>() ?? 0, (info["cpu-throttle-percentage"]?.GetValue<long>() ?? 0) / 100.0));
            m.LastSync = sync;
            m.LastTransferredMiB = m.TransferredMiB;
            m.LastRoundAt = now;
        }
        switch (info["status"]?.GetValue<string>())
        {
            case "completed":
                m.State = LiveMigrationState.Switched;
                m.DowntimeMs = info["downtime"]?.GetValue<long>() ?? 0;
                m.Outcome ??= PreCopyOutcome.Converged;
                log.LogInformation("QEMU migrated VM {InstanceId}: total-time {TotalMs} ms, downtime {DowntimeMs} ms, {MiB:F1} MiB, {Rounds} round(s)",
                    m.Request.Spec.InstanceId, info["total-time"]?.GetValue<long>() ?? 0, m.DowntimeMs, m.TransferredMiB, m.Rounds.Count);
                return;
            case "failed":
                m.State = LiveMigrationState.Failed;
                m.Error = $"QEMU's migration failed: {info["error-desc"]?.GetValue<string>() ?? "no reason given"}";
                await m.Target.DisposeAsync(keepDirectory: false);
                _migrations.TryRemove(m.Request.Spec.InstanceId, out _);
                return;
            case "cancelled":
                m.State = m.Error is null ? LiveMigrationState.Cancelled : LiveMigrationState.Failed;
                await m.Target.DisposeAsync(keepDirectory: false);
                _migrations.TryRemove(m.Request.Spec.InstanceId, out _);
                return;
        }
        var budget = TimeSpan.FromSeconds(m.Request.TimeoutSecondsPerGiB * Math.Max(0.125, m.Request.Spec.Resources.MemoryMiB / 1024.0));
        if (m.Outcome is null && (Stopwatch.GetElapsedTime(m.StartedAt, now) > budget || m.Rounds.Count >= m.Request.MaxRounds))
        {
            if (m.Request.Escalation == ConvergenceEscalation.Abort)
            {
                m.Error = $"Pre-copy did not converge within {budget.TotalSeconds:0} s / {m.Request.MaxRounds} rounds; aborted (the plan's escalation).";
                await source.Qmp.ExecuteAsync("migrate_cancel", null, ct);
                m.Outcome = PreCopyOutcome.Aborted;
            }
            else if (m.Request.Escalation == ConvergenceEscalation.PostCopy)
            {
                await source.Qmp.ExecuteAsync("migrate-start-postcopy", null, ct);
                m.Outcome = PreCopyOutcome.PostCopy;
            }
        }
    }

    private QemuProcess RunningOn(HostRef host, Guid instanceId) =>
        _running.TryGetValue(instanceId, out var vm) && !vm.HasExited && IsOn(vm, host, instanceId)
            ? vm
            : throw new HypervisorException($"VM {instanceId} is not running on host '{host.Name}'.", false);

    private static JsonObject Capability(string name, bool state) => new() { ["capability"] = name, ["state"] = state };
}
