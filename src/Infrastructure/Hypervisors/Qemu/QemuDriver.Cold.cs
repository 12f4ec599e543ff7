using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using IaasApi.Domain.Hypervisors;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>A cold copy the qemu driver runs: <c>qemu-img convert</c> of the shut-off VM's disk into the target's directory.</summary>
internal sealed class QemuColdCopy(DiskCopyRequest request, Process process, string targetDisk, double totalMiB)
{
    public DiskCopyRequest Request { get; } = request;
    public Process Process { get; } = process;
    public string TargetDisk { get; } = targetDisk;
    public double TotalMiB { get; } = totalMiB;
    public Task<string> Errors { get; init; } = Task.FromResult("");
}

/// <summary>
/// Cold migration (../shared/qemu-guest section 5): the VM is already shut off (the stop stage quit its QEMU); its disk
/// is copied with <c>qemu-img convert -O qcow2</c> into the target host's directory (a standalone image: the backing
/// template is folded in), progress read from the copy's size; registering writes the VM's spec there with the new
/// disk; finishing removes the source's directory; the control plane then starts it on the target if it ran. An abort
/// kills the copy and removes the target's directory; the source is untouched until the finish.
/// </summary>
public sealed partial class QemuDriver
{
    private readonly ConcurrentDictionary<Guid, QemuColdCopy> _copies = new();

    public async Task StartDiskCopyAsync(DiskCopyRequest r, CancellationToken ct)
    {
        var id = r.Spec.InstanceId;
        using var held = await LockAsync(id, ct);
        if (_copies.TryGetValue(id, out var existing) && (!existing.Process.HasExited || existing.Process.ExitCode == 0))
        {
            if (existing.Request.Target.Id == r.Target.Id) return;
            throw new HypervisorException($"VM {id}'s disk is already being copied to another host.", false);
        }
        var sourceDir = VmDirectory(r.Source, id);
        if (!File.Exists(Path.Combine(sourceDir, "vm.json"))) throw new HypervisorException($"No VM {id} exists on host '{r.Source.Name}'.", false);
        if (_running.TryGetValue(id, out var vm) && !vm.HasExited && IsOn(vm, r.Source, id))
            throw new HypervisorException($"VM {id} is running; its disk is copied cold, shut off.", false);
        var record = Read(sourceDir);
        var info = JsonNode.Parse(await QemuImgAsync(["info", "--output=json", record.Disk], ct));
        var total = Math.Max(1, (info?["actual-size"]?.GetValue<long>() ?? 0) / (1024.0 * 1024));
        var targetDir = VmDirectory(r.Target, id);
        Directory.CreateDirectory(targetDir);
        var targetDisk = Path.Combine(targetDir, "disk.qcow2");
        var start = new ProcessStartInfo(options.ImgBinary) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "convert", "-q", "-O", "qcow2", record.Disk, targetDisk }) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new HypervisorException($"{options.ImgBinary} could not be started.", false);
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        _copies[id] = new QemuColdCopy(r, process, targetDisk, total) { Errors = process.StandardError.ReadToEndAsync(CancellationToken.None) };
    }

    public async Task<DiskCopyStatus> GetDiskCopyAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        if (!_copies.TryGetValue(instanceId, out var c) || c.Request.Source.Id != source.Id)
            return new DiskCopyStatus(DiskCopyState.Failed, 0, 0, $"No disk copy of VM {instanceId} is known on its source host (lost with an agent restart?).");
        if (!c.Process.HasExited)
        {
            var copied = File.Exists(c.TargetDisk) ? new FileInfo(c.TargetDisk).Length / (1024.0 * 1024) : 0;
            return new DiskCopyStatus(DiskCopyState.Copying, Math.Min(copied, c.TotalMiB), c.TotalMiB, null);
        }
        return c.Process.ExitCode == 0
            ? new DiskCopyStatus(DiskCopyState.Synced, c.TotalMiB, c.TotalMiB, null)
            : new DiskCopyStatus(DiskCopyState.Failed, 0, c.TotalMiB, $"qemu-img convert failed: {(await c.Errors).Trim()}");
    }

    public async Task RegisterCopyAsync(HostRef source, HostRef target, InstanceSpec spec, CancellationToken ct)
    {
        using var held = await LockAsync(spec.InstanceId, ct);
        var targetDir = VmDirectory(target, spec.InstanceId);
        if (!_copies.TryGetValue(spec.InstanceId, out var c))
        {
            if (File.Exists(Path.Combine(targetDir, "vm.json"))) return;          // registered before
            throw new HypervisorException($"No copy of VM {spec.InstanceId}'s disk is on host '{target.Name}'.", false);
        }
        if (!c.Process.HasExited || c.Process.ExitCode != 0) throw new HypervisorException($"The copy of VM {spec.InstanceId}'s disk is not complete.", false);
        var record = Read(VmDirectory(source, spec.InstanceId)) with { Disk = c.TargetDisk };
        await File.WriteAllTextAsync(Path.Combine(targetDir, "vm.json"), JsonSerializer.Serialize(record), ct);
    }

    public async Task FinishColdMigrationAsync(HostRef source, HostRef target, Guid instanceId, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        if (!File.Exists(Path.Combine(VmDirectory(target, instanceId), "vm.json")))
            throw new HypervisorException($"VM {instanceId} is not registered on host '{target.Name}'; nothing to finish.", false);
        var sourceDir = VmDirectory(source, instanceId);
        if (Directory.Exists(sourceDir)) Directory.Delete(sourceDir, recursive: true);
        _copies.TryRemove(instanceId, out _);
    }

    public async Task AbortDiskCopyAsync(HostRef source, HostRef target, Guid instanceId, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        if (_copies.TryRemove(instanceId, out var c))
        {
            if (!c.Process.HasExited) c.Process.Kill();
            await c.Process.WaitForExitAsync(ct);
        }
        var targetDir = VmDirectory(target, instanceId);
        if (Directory.Exists(targetDir) && !(_running.TryGetValue(instanceId, out var vm) && IsOn(vm, target, instanceId)))
            Directory.Delete(targetDir, recursive: true);
    }
}
