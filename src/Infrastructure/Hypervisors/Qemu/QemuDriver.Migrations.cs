using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;

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

/// <summary>
/// Moving a VM between hosts, the two sides both live and cold migration share, one host per call. The target prepares:
/// live — its QEMU starts with <c>-incoming defer -S</c> on the VM's disk (the pool's file when the disk lives on a
/// shared pool, else a new empty qcow2 of the flavor's size that it exports over NBD: <c>nbd-server-start</c>,
/// <c>block-export-add</c>), sets <c>postcopy-ram</c> and listens (<c>migrate-incoming</c>) on
/// <c>Iaas:Qemu:MigrationAddress</c>; cold — a <c>qemu-nbd</c> export of an empty disk. The source sends
/// (QemuDriver.Live.cs, QemuDriver.Cold.cs). Activation (target) ends the export and <c>cont</c>s; the release (source)
/// quits the paused source and removes its copy; a cancel (source) stops the stream and resumes the guest; a discard
/// (target) quits the destination and removes what it received.
/// </summary>
public sealed partial class QemuDriver
{
    private const double MiB = 1024 * 1024;
    private const string NbdNode = "migration-nbd";
    private const string MirrorJob = "migration-disk";
    private const string Export = "disk0";
    private readonly ConcurrentDictionary<(string Host, Guid Id), QemuIncoming> _incoming = new();

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
