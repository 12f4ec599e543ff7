using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using IaasApi.Domain.Hypervisors;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>
/// Live storage migration (../shared/qemu-guest section 4): a qcow2 of the disk's virtual size is created in the target
/// pool's directory (<c>Iaas:Qemu:PoolDirectory/&lt;pool&gt;/</c>), added as a block node, and <c>blockdev-mirror</c>
/// (<c>sync: full</c>, <c>speed</c> from the request) copies the running VM's disk into it while the guest keeps
/// reading and writing its source; <c>query-block-jobs</c> gives the progress, and once the job is <c>ready</c> every
/// write goes to both. The pivot is <c>block-job-complete</c> (the VM now uses the copy; the source file is deleted and
/// the VM's spec points at the copy); an abort is <c>block-job-cancel</c> and the copy's removal.
/// </summary>
public sealed partial class QemuDriver
{
    private readonly ConcurrentDictionary<Guid, (StorageMirrorRequest Request, string TargetDisk)> _mirrors = new();

    public async Task StartStorageMirrorAsync(StorageMirrorRequest r, CancellationToken ct)
    {
        var id = r.Spec.InstanceId;
        using var held = await LockAsync(id, ct);
        if (_mirrors.TryGetValue(id, out var existing))
        {
            if (existing.Request.TargetPool == r.TargetPool) return;
            throw new HypervisorException($"VM {id}'s disk is already being mirrored to pool '{existing.Request.TargetPool}'.", false);
        }
        await AdoptAsync(r.Host, id, ct);
        var vm = RunningOn(r.Host, id);
        var record = Read(VmDirectory(r.Host, id));
        var pool = Path.Combine(options.PoolDirectory, r.TargetPool);
        Directory.CreateDirectory(pool);
        var target = Path.GetFullPath(Path.Combine(pool, $"{id}.qcow2"));
        try
        {
            await AddBlankCopyNodeAsync(vm, record.Disk, target, "mirror0", ct);
            await vm.Qmp.ExecuteAsync("blockdev-mirror", new JsonObject
            {
                ["job-id"] = "mirror0", ["device"] = "disk0", ["target"] = "mirror0", ["sync"] = "full",
                ["speed"] = (long)Math.Max(1, r.BandwidthMiBps * MiB),
            }, ct);
        }
        catch (QmpException ex)
        {
            await TryDeleteNodeAsync(vm, "mirror0", ct);
            File.Delete(target);
            throw new HypervisorException($"The mirror of VM {id}'s disk could not start: {ex.Message}", false, ex);
        }
        _mirrors[id] = (r, target);
    }

    public async Task<DiskCopyStatus> GetStorageMirrorAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        if (!_mirrors.TryGetValue(instanceId, out _))
            return new DiskCopyStatus(DiskCopyState.Failed, 0, 0, $"No storage mirror of VM {instanceId} is known on its host (lost with an agent restart?).");
        var vm = RunningOn(host, instanceId);
        var (job, endedWith) = await BlockJobAsync(vm, "mirror0", ct);
        if (job is null) return new DiskCopyStatus(DiskCopyState.Failed, 0, 0, endedWith ?? "The mirror job ended.");
        var copied = (job["offset"]?.GetValue<long>() ?? 0) / MiB;
        var total = (job["len"]?.GetValue<long>() ?? 0) / MiB;
        return new DiskCopyStatus(job["ready"]?.GetValue<bool>() == true ? DiskCopyState.Synced : DiskCopyState.Copying, copied, total, null);
    }

    public async Task PivotStorageMirrorAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        var dir = VmDirectory(host, instanceId);
        if (!_mirrors.TryGetValue(instanceId, out var mirror))
        {
            if (Read(dir).Disk.StartsWith(Path.GetFullPath(options.PoolDirectory), StringComparison.Ordinal)) return;   // pivoted before
            throw new HypervisorException($"No storage mirror of VM {instanceId} is known on its host.", false);
        }
        var vm = RunningOn(host, instanceId);
        var since = DateTimeOffset.UtcNow;
        await vm.Qmp.ExecuteAsync("block-job-complete", new JsonObject { ["device"] = "mirror0" }, ct);
        var done = await vm.Qmp.WaitForEventAsync("BLOCK_JOB_COMPLETED", TimeSpan.FromSeconds(30),
            e => e.Data?["device"]?.GetValue<string>() == "mirror0", since, ct);
        if (done.Data?["error"]?.GetValue<string>() is { } error) throw new HypervisorException($"The pivot failed: {error}", false);
        var record = Read(dir);
        if (File.Exists(record.Disk) && record.Disk != mirror.TargetDisk) File.Delete(record.Disk);
        await File.WriteAllTextAsync(Path.Combine(dir, "vm.json"), JsonSerializer.Serialize(record with { Disk = mirror.TargetDisk }), ct);
        _mirrors.TryRemove(instanceId, out _);
    }

    public async Task AbortStorageMirrorAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        using var held = await LockAsync(instanceId, ct);
        if (!_mirrors.TryRemove(instanceId, out var mirror)) return;
        var vm = RunningOn(host, instanceId);
        var since = DateTimeOffset.UtcNow;
        try
        {
            await vm.Qmp.ExecuteAsync("block-job-cancel", new JsonObject { ["device"] = "mirror0", ["force"] = true }, ct);
            await vm.Qmp.WaitForEventAsync("BLOCK_JOB_CANCELLED", TimeSpan.FromSeconds(30), e => e.Data?["device"]?.GetValue<string>() == "mirror0", since, ct);
        }
        catch (QmpException ex) when (ex.ErrorClass == "DeviceNotActive" || ex.ErrorClass == "GenericError")
        {
            // The job had ended already.
        }
        await TryDeleteNodeAsync(vm, "mirror0", ct);
        if (File.Exists(mirror.TargetDisk)) File.Delete(mirror.TargetDisk);
    }
}
