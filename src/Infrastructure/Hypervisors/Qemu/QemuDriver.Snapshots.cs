using System.Text.Json;
using System.Text.Json.Nodes;
using IaasApi.Domain.Hypervisors;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>
/// Saving VM state off the host (../shared/qemu-guest section 6). The memory is written with QEMU's own migration
/// stream into a file (<c>migrate</c> to <c>exec:cat &gt; memory.state</c> while the guest is paused) and read back
/// by a QEMU started with <c>-incoming defer</c> (<c>migrate-incoming exec:cat memory.state</c>); the disk is
/// captured point-in-time with <c>blockdev-backup</c> (running) or <c>qemu-img convert</c> (shut off). Everything goes
/// to <c>Iaas:Qemu:SaveDirectory</c>, storage every host mounts, so a saved VM comes back on any host:
/// <list type="bullet">
/// <item>suspend (preemption) → <c>&lt;save&gt;/&lt;id&gt;/suspended/</c>, the VM gone from the host; resume restores it there;</item>
/// <item>an instance snapshot → <c>&lt;save&gt;/&lt;id&gt;/&lt;snapshot id&gt;/</c> (a pool's disk copied too), the VM running on;
/// a restore quits the VM, writes the saved disk back where its disk lives and resumes the saved memory (or boots);</item>
/// <item>an image capture (a reservation's snapshot-then-delete) → a new template in <c>Iaas:Qemu:ImageDirectory</c>.</item>
/// </list>
/// </summary>
public sealed partial class QemuDriver
{
    private const string Suspended = "suspended";

    public async Task SuspendAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        var dir = VmDirectory(host, instanceId);
        if (!File.Exists(Path.Combine(dir, "vm.json"))) return;                   // saved already, or never built: nothing here
        await AdoptAsync(host, instanceId, ct);
        var target = SavedDirectory(instanceId, Suspended);
        await SaveAsync(host, instanceId, dir, target, withMemory: IsRunning(host, instanceId), ct);
        // Saved: the VM leaves the host (its shared-pool disk stays where the pool is).
        if (_running.TryRemove((host.Name, instanceId), out var vm)) await vm.DisposeAsync(keepDirectory: true);
        Directory.Delete(dir, recursive: true);
    }

    public async Task ResumeAsync(HostRef host, InstanceSpec spec, CancellationToken ct)
    {
        using (await LockAsync(spec.InstanceId, ct))
        {
            await AdoptAsync(host, spec.InstanceId, ct);
            if (IsRunning(host, spec.InstanceId)) return;
            var saved = SavedDirectory(spec.InstanceId, Suspended);
            if (File.Exists(Path.Combine(saved, "vm.json")))
            {
                await RestoreAsync(host, spec, saved, ct);
                Directory.Delete(saved, recursive: true);
                return;
            }
        }
        await SpawnAsync(host, spec, ct);                                          // preempted before it was ever built: created now
    }

    public async Task<int> SaveSnapshotAsync(HostRef host, Guid instanceId, Guid snapshotId, bool withMemory, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        var target = SavedDirectory(instanceId, snapshotId.ToString());
        if (!File.Exists(Path.Combine(target, "vm.json")))
        {
            var dir = VmDirectory(host, instanceId);
            RequireDefined(host, instanceId, dir);
            await AdoptAsync(host, instanceId, ct);
            if (withMemory && !IsRunning(host, instanceId)) throw new HypervisorException($"VM {instanceId} is shut off: it has no memory to save.", false);
            await SaveAsync(host, instanceId, dir, target, withMemory, ct, copyPooledDisk: true);
        }
        return (int)Math.Max(1, Math.Ceiling(Directory.EnumerateFiles(target).Sum(f => new FileInfo(f).Length) / MiB));
    }

    public async Task RestoreSnapshotAsync(HostRef host, InstanceSpec spec, Guid snapshotId, CancellationToken ct)
    {
        using var held = await LockAsync(spec.InstanceId, ct);
        var saved = SavedDirectory(spec.InstanceId, snapshotId.ToString());
        if (!File.Exists(Path.Combine(saved, "vm.json"))) throw new HypervisorException($"VM {spec.InstanceId} has no snapshot {snapshotId}.", false);
        var dir = VmDirectory(host, spec.InstanceId);
        RequireDefined(host, spec.InstanceId, dir);
        await AdoptAsync(host, spec.InstanceId, ct);
        if (_running.TryRemove((host.Name, spec.InstanceId), out var vm)) await vm.DisposeAsync(keepDirectory: true);
        await RestoreAsync(host, spec, saved, ct);
    }

    public async Task DeleteSnapshotAsync(HostRef host, Guid instanceId, Guid snapshotId, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        var saved = SavedDirectory(instanceId, snapshotId.ToString());
        if (Directory.Exists(saved)) Directory.Delete(saved, recursive: true);
    }

    /// <summary>Copies the VM's disk (point in time) into a new image template named <paramref name="imageName"/>; its size in MiB.</summary>
    public async Task<int> SnapshotAsync(HostRef host, Guid instanceId, string imageName, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        var dir = VmDirectory(host, instanceId);
        RequireDefined(host, instanceId, dir);
        var template = Path.Combine(options.ImageDirectory, imageName);
        var disk = Path.Combine(template, "disk.qcow2");
        if (!File.Exists(disk))
        {
            await AdoptAsync(host, instanceId, ct);
            var record = Read(dir);
            var partial = template + ".partial";
            Directory.CreateDirectory(partial);
            await CaptureDiskAsync(host, instanceId, record, Path.Combine(partial, "disk.qcow2"), ct);
            // The template boots like the VM did: its kernel, initrd and command line come along.
            File.Copy(record.Kernel, Path.Combine(partial, "vmlinux"), overwrite: true);
            File.Copy(record.Initrd, Path.Combine(partial, "initrd.gz"), overwrite: true);
            await File.WriteAllTextAsync(Path.Combine(partial, "cmdline"), record.Append, ct);
            if (Directory.Exists(template)) Directory.Delete(template, recursive: true);
            Directory.Move(partial, template);
        }
        return (int)Math.Max(1, Math.Ceiling(new FileInfo(disk).Length / MiB));
    }

    /// <summary>Whether the VM is saved off every host (suspended): its saved state, or null.</summary>
    private string? SavedState(Guid instanceId) =>
        File.Exists(Path.Combine(SavedDirectory(instanceId, Suspended), "vm.json")) ? SavedDirectory(instanceId, Suspended) : null;

    private string SavedDirectory(Guid instanceId, string name) => Path.GetFullPath(Path.Combine(options.SaveDirectory, instanceId.ToString(), name));

    /// <summary>
    /// Writes the VM's state into <paramref name="target"/>: its spec, its disk (a point-in-time copy; a shared pool's disk
    /// is referenced, not copied, when <paramref name="copyPooledDisk"/> is false) and, when <paramref name="withMemory"/>,
    /// its memory. The guest is paused only while its memory is written, and runs on afterwards.
    /// </summary>
    private async Task SaveAsync(HostRef host, Guid instanceId, string dir, string target, bool withMemory, CancellationToken ct,
                                 bool copyPooledDisk = false)
    {
        var record = Read(dir);
        var pooled = !record.Disk.StartsWith(dir, StringComparison.Ordinal);
        var partial = target + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        var disk = pooled && !copyPooledDisk ? record.Disk : Path.Combine(target, "disk.qcow2");
        if (withMemory)
        {
            var vm = RunningOn(host, instanceId);
            var wasRunning = await vm.StatusAsync(ct) == "running";
            if (wasRunning) await vm.Qmp.ExecuteAsync("stop", null, ct);
            try
            {
                // The disk's copy-before-write backup starts at the paused instant, so memory and disk match.
                if (disk != record.Disk) await CaptureDiskAsync(host, instanceId, record, Path.Combine(partial, "disk.qcow2"), ct);
                await vm.Qmp.ExecuteAsync("migrate-set-capabilities", new JsonObject { ["capabilities"] = new JsonArray
                    { Capability("postcopy-ram", false), Capability("pause-before-switchover", false), Capability("auto-converge", false) } }, ct);
                await vm.Qmp.ExecuteAsync("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 10L * 1024 * 1024 * 1024 }, ct);
                await vm.Qmp.ExecuteAsync("migrate", new { uri = $"exec:cat > '{Path.Combine(partial, "memory.state")}'" }, ct);
                var done = await vm.WaitForMigrationAsync(TimeSpan.FromMinutes(5), ct, "completed", "failed", "cancelled");
                if (done["status"]?.GetValue<string>() != "completed")
                    throw new HypervisorException($"Saving VM {instanceId}'s memory failed: {done["error-desc"]?.GetValue<string>() ?? done["status"]?.GetValue<string>()}", true);
            }
            finally
            {
                if (wasRunning && await vm.StatusAsync(CancellationToken.None) != "running") await vm.Qmp.ExecuteAsync("cont", null, CancellationToken.None);
            }
        }
        else if (disk != record.Disk)
        {
            await CaptureDiskAsync(host, instanceId, record, Path.Combine(partial, "disk.qcow2"), ct);
        }
        await File.WriteAllTextAsync(Path.Combine(partial, "vm.json"), JsonSerializer.Serialize(record with { Disk = disk }), ct);
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(partial, target);
    }

    /// <summary>
    /// Puts the saved VM in <paramref name="saved"/> on <paramref name="host"/> (shut off there, if it is): its saved disk
    /// written where its disk lives (the host's directory, or its pool), then its memory loaded into a QEMU started
    /// <c>-incoming</c> and resumed — or, without saved memory, booted from the disk.
    /// </summary>
    private async Task RestoreAsync(HostRef host, InstanceSpec spec, string saved, CancellationToken ct)
    {
        var record = Read(saved);
        var dir = VmDirectory(host, spec.InstanceId);
        Directory.CreateDirectory(dir);
        var disk = spec.Pool is { } pool ? PoolDisk(pool, spec.InstanceId) : Path.Combine(dir, "disk.qcow2");
        if (disk != record.Disk)
        {
            await QemuImgAsync(["convert", "-q", "-O", "qcow2", record.Disk, disk + ".restoring"], ct);
            File.Move(disk + ".restoring", disk, overwrite: true);
        }
        var local = await RecordForAsync(host, spec, disk, ct);
        await WriteRecordAsync(dir, local, ct);
        var memory = Path.Combine(saved, "memory.state");
        if (!File.Exists(memory))
        {
            await BootAsync(host, dir, local, ct);
            return;
        }
        await BootAsync(host, dir, local, ct, incoming: true, paused: true);
        var vm = RunningOn(host, spec.InstanceId);
        await vm.Qmp.ExecuteAsync("migrate-incoming", new { uri = $"exec:cat '{memory}'" }, ct);
        var deadline = DateTime.UtcNow.AddMinutes(5);
        string status;
        while ((status = await vm.StatusAsync(ct)) == "inmigrate")
        {
            if (DateTime.UtcNow > deadline) throw new HypervisorException($"VM {spec.InstanceId}'s saved memory did not load within 5 minutes.", true);
            await Task.Delay(20, ct);
        }
        if (status is "internal-error" or "shutdown")
            throw new HypervisorException($"VM {spec.InstanceId}'s saved memory could not be loaded (QEMU: {status}).", false);
        await vm.Qmp.ExecuteAsync("cont", null, ct);
    }

    /// <summary>
    /// A point-in-time copy of the VM's disk into a standalone qcow2 (the template folded in): <c>blockdev-backup</c>
    /// while QEMU runs (copy-before-write: the guest may go on writing), <c>qemu-img convert</c> when it is shut off.
    /// </summary>
    private async Task CaptureDiskAsync(HostRef host, Guid instanceId, QemuVmRecord record, string copy, CancellationToken ct)
    {
        if (!_running.TryGetValue((host.Name, instanceId), out var vm) || vm.HasExited)
        {
            await QemuImgAsync(["convert", "-q", "-O", "qcow2", record.Disk, copy], ct);
            return;
        }
        const string node = "capture0";
        await AddBlankCopyNodeAsync(vm, record.Disk, copy, node, ct);
        try
        {
            var since = DateTimeOffset.UtcNow;
            await vm.Qmp.ExecuteAsync("blockdev-backup", new JsonObject
            {
                ["job-id"] = node, ["device"] = await RootNodeAsync(vm, ct), ["target"] = node, ["sync"] = "full",
            }, ct);
            var done = await vm.Qmp.WaitForEventAsync("BLOCK_JOB_COMPLETED", TimeSpan.FromMinutes(10), e => e.Data?["device"]?.GetValue<string>() == node, since, ct);
            if (done.Data?["error"]?.GetValue<string>() is { } error) throw new HypervisorException($"The disk's backup failed: {error}", true);
        }
        finally
        {
            await TryDeleteNodeAsync(vm, node, CancellationToken.None);
        }
    }
}
