using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using IaasApi.Domain.Hypervisors;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>A cold copy the source's driver runs: <c>qemu-img convert</c> of the shut-off VM's disk into the target's NBD export.</summary>
internal sealed class QemuColdCopy(DiskCopyRequest request, Process? process, double totalMiB)
{
    public DiskCopyRequest Request { get; } = request;
    /// <summary>Null when nothing is copied (the disk lives on a shared pool the target reaches).</summary>
    public Process? Process { get; } = process;
    public double TotalMiB { get; } = totalMiB;
    /// <summary>The last progress qemu-img printed (<c>-p</c>), 0–100.</summary>
    public double Percent { get; set; }
    public Task<string> Errors { get; init; } = Task.FromResult("");
}

/// <summary>
/// Cold migration, one host per call (../shared/qemu-guest section 5). The VM is already shut off (the stop stage quit
/// its QEMU). The target prepares an empty qcow2 of the flavor's size and serves it with <c>qemu-nbd</c> on
/// <c>Iaas:Qemu:MigrationAddress</c>; the source copies its disk into it with <c>qemu-img convert -n</c> (the backing
/// template folded in; <c>-r</c> caps the rate at the migration's bandwidth; progress from <c>-p</c>); registering (target)
/// stops the NBD server and writes the VM's spec there; activation boots it if it ran; the release (source) removes the
/// source's directory. A disk on a shared pool is not copied: the target registers the pool's file. A cancel kills the
/// copy; a discard stops the NBD server and removes the target's directory.
/// </summary>
public sealed partial class QemuDriver
{
    private readonly ConcurrentDictionary<Guid, QemuColdCopy> _copies = new();

    public async Task StartDiskCopyAsync(DiskCopyRequest r, CancellationToken ct)
    {
        var id = r.Spec.InstanceId;
        using var held = await LockAsync(id, ct);
        if (_copies.TryGetValue(id, out var existing) && (existing.Process is not { HasExited: true } || existing.Process.ExitCode == 0))
        {
            if (existing.Request.Target.Id == r.Target.Id) return;
            throw new HypervisorException($"VM {id}'s disk is already being copied to another host.", false);
        }
        var sourceDir = VmDirectory(r.Source, id);
        RequireDefined(r.Source, id, sourceDir);
        if (IsRunning(r.Source, id)) throw new HypervisorException($"VM {id} is running; its disk is copied cold, shut off.", false);
        if (r.Incoming.DiskUri is not { } target)
        {
            _copies[id] = new QemuColdCopy(r, null, 0);                          // a shared pool's disk: nothing to copy
            return;
        }
        var record = Read(sourceDir);
        var info = JsonNode.Parse(await QemuImgAsync(["info", "--output=json", record.Disk], ct));
        var total = Math.Max(1, (info?["actual-size"]?.GetValue<long>() ?? 0) / MiB);
        var process = StartTool(options.ImgBinary, ["convert", "-p", "-n", "--target-is-zero", "-f", "qcow2", "-O", "raw",
                                                    "-r", Bytes((long)Math.Max(MiB, r.BandwidthMiBps * MiB)), record.Disk, target]);
        var copy = new QemuColdCopy(r, process, total) { Errors = process.StandardError.ReadToEndAsync(CancellationToken.None) };
        _ = FollowProgressAsync(process, copy);
        _copies[id] = copy;
    }

    public async Task<DiskCopyStatus> GetDiskCopyAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        if (!_copies.TryGetValue(instanceId, out var c) || c.Request.Source.Id != source.Id)
            return new DiskCopyStatus(DiskCopyState.Failed, 0, 0, $"No disk copy of VM {instanceId} is known on its source host (lost with an agent restart?).");
        if (c.Process is null) return new DiskCopyStatus(DiskCopyState.Synced, 0, 0, null);
        if (!c.Process.HasExited) return new DiskCopyStatus(DiskCopyState.Copying, c.TotalMiB * c.Percent / 100, c.TotalMiB, null);
        return c.Process.ExitCode == 0
            ? new DiskCopyStatus(DiskCopyState.Synced, c.TotalMiB, c.TotalMiB, null)
            : new DiskCopyStatus(DiskCopyState.Failed, 0, c.TotalMiB, $"qemu-img convert failed: {(await c.Errors).Trim()}");
    }

    public async Task RegisterCopyAsync(HostRef target, InstanceSpec spec, CancellationToken ct)
    {
        using var held = await LockAsync(spec.InstanceId, ct);
        var dir = VmDirectory(target, spec.InstanceId);
        if (!_incoming.TryGetValue((target.Name, spec.InstanceId), out var arriving))
        {
            if (File.Exists(Path.Combine(dir, "vm.json"))) return;                 // registered before
            throw new HypervisorException($"No copy of VM {spec.InstanceId}'s disk is on host '{target.Name}'.", false);
        }
        StopDiskServer(dir);                                                       // flushed and closed: the copy is complete
        await WriteRecordAsync(dir, await RecordForAsync(target, spec, arriving.Disk, ct), ct);
    }

    /// <summary>Kills the source's copy under way, if any (the cancel of a cold migration).</summary>
    private async Task CancelCopyAsync(Guid instanceId)
    {
        if (!_copies.TryRemove(instanceId, out var c) || c.Process is not { } process) return;
        if (!process.HasExited) process.Kill();
        await process.WaitForExitAsync(CancellationToken.None);
    }

    /// <summary>
    /// Serves <paramref name="disk"/> (writable, one client at a time) over NBD on the migration address; returns its URI.
    /// <c>qemu-nbd --fork</c> returns once it listens; its pid file lets a restarted agent stop it.
    /// </summary>
    private async Task<string> ServeDiskAsync(string dir, string disk, CancellationToken ct)
    {
        var port = QemuProcess.FreePort(options.MigrationAddress);
        await RunToolAsync(options.NbdBinary, ["--fork", "--persistent", "--pid-file", Path.Combine(dir, "nbd.pid"), "--format", "qcow2",
            "--bind", options.MigrationAddress, "--port", port.ToString(CultureInfo.InvariantCulture), "--export-name", Export, disk], ct);
        return $"nbd://{options.MigrationAddress}:{port}/{Export}";
    }

    /// <summary>Stops the directory's <c>qemu-nbd</c> (by its pid file), waiting until it has flushed and closed the disk.</summary>
    private static void StopDiskServer(string dir)
    {
        using (var server = QemuProcess.LiveQemuOf(dir, "nbd.pid"))
            // SIGTERM: qemu-nbd flushes the qcow2's metadata and closes it (a SIGKILL could leave it inconsistent).
            if (server?.ProcessName.StartsWith("qemu-nbd", StringComparison.Ordinal) == true) QemuProcess.Terminate(server, TimeSpan.FromSeconds(10));
        File.Delete(Path.Combine(dir, "nbd.pid"));
    }

    /// <summary>Reads qemu-img's <c>-p</c> progress (<c>(12.34/100%)</c>, carriage-return separated) as it comes.</summary>
    private static async Task FollowProgressAsync(Process process, QemuColdCopy copy)
    {
        var buffer = new char[256];
        var text = "";
        int read;
        while ((read = await process.StandardOutput.ReadAsync(buffer, CancellationToken.None)) > 0)
        {
            text += new string(buffer, 0, read);
            var close = text.LastIndexOf("/100%)", StringComparison.Ordinal);
            var open = close < 0 ? -1 : text.LastIndexOf('(', close);
            if (open >= 0 && double.TryParse(text[(open + 1)..close], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent)) copy.Percent = percent;
            if (text.Length > 4096) text = text[^256..];
        }
    }
}
