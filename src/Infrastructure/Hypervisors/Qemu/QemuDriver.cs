using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IaasApi.Domain.Hypervisors;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>The qemu driver's settings (<c>Iaas:Qemu:*</c>).</summary>
public sealed class QemuOptions
{
    /// <summary>Registers the qemu driver in this process (the agent of qemu hosts, and the control plane that places on them).</summary>
    public bool Enabled { get; set; }
    /// <summary>Where each host's VMs live: <c>&lt;dir&gt;/&lt;host name&gt;/&lt;instance id&gt;/</c> (QMP socket, serial log, overlay, spec).</summary>
    public string StateDirectory { get; set; } = "./data/qemu";
    /// <summary>
    /// OS templates on the host: <c>&lt;dir&gt;/&lt;image name&gt;/</c> with <c>vmlinux</c> + <c>initrd.gz</c> (direct
    /// kernel boot; <c>cmdline</c> optional) and/or <c>disk.qcow2</c> (the template each VM's overlay is backed by).
    /// </summary>
    public string ImageDirectory { get; set; } = "./images";
    /// <summary>Where the zone's shared storage pools are mounted on the host: <c>&lt;dir&gt;/&lt;pool name&gt;/</c> (storage migration's targets).</summary>
    public string PoolDirectory { get; set; } = "./data/pools";
    /// <summary>
    /// Where VMs saved off their host wait (a preempted VM's memory and disk; instance snapshots): storage every qemu host
    /// of the cloud mounts (NFS in a real cloud), so a saved VM resumes, or a snapshot restores, on any host.
    /// </summary>
    public string SaveDirectory { get; set; } = "./data/saved";
    /// <summary>
    /// The address this host's QEMU listens on for VMs migrating in (the memory stream, the NBD export of a local disk):
    /// the host's address on the migration network. Only loopback or namespaces of your own on a test machine.
    /// </summary>
    public string MigrationAddress { get; set; } = "127.0.0.1";
    public string Binary { get; set; } = "qemu-system-x86_64";
    public string ImgBinary { get; set; } = "qemu-img";
    public string NbdBinary { get; set; } = "qemu-nbd";
    /// <summary><c>tcg</c> (always works) or <c>kvm</c> (only where a probe boot succeeds: not on nested machines).</summary>
    public string Accelerator { get; set; } = "tcg";
}

/// <summary>What the driver remembers of a VM in its directory, so a stopped VM starts again the same way.</summary>
public sealed record QemuVmRecord(Guid InstanceId, string Name, int MemoryMiB, int Vcpus, string Kernel, string Initrd, string Append, string Disk);

/// <summary>
/// The <c>qemu</c> driver: real <c>qemu-system-x86_64</c> processes driven over QMP, one directory per VM on the host
/// (its qcow2 overlay on the image's template — a fast clone — or a blank disk of the flavor's size, the QMP socket,
/// the serial log, the pid file and the spec it was started with). It runs in the host's agent (src/Workers serving
/// <c>h-&lt;host&gt;</c>); each call concerns one host, and one agent may serve several (its VMs are keyed by host and
/// instance). Spawn is idempotent and self-cleaning; destroying an absent VM succeeds; stop quits QEMU and keeps the
/// disk (shut off), start boots it again from it. One partial file per role: migrations' two sides QemuDriver.Migrations.cs,
/// live QemuDriver.Live.cs, cold QemuDriver.Cold.cs, storage QemuDriver.Storage.cs; snapshots and suspend
/// QemuDriver.Snapshots.cs; guest memory QemuDriver.GuestStats.cs.
/// </summary>
public sealed partial class QemuDriver(QemuOptions options, ILogger<QemuDriver> log)
    : IHypervisorDriver, ISnapshotDriver, IGuestStatsDriver, ILiveMigrationDriver, IColdMigrationDriver, IStorageMirrorDriver, IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Host, Guid Id), QemuProcess> _running = new();
    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _locks = new();

    public string Kind => "qemu";

    public async Task SpawnAsync(HostRef host, InstanceSpec spec, CancellationToken ct)
    {
        using var _ = await LockAsync(spec.InstanceId, ct);
        await AdoptAsync(host, spec.InstanceId, ct);
        if (IsRunning(host, spec.InstanceId)) return;
        if (_running.Keys.Any(k => k.Id == spec.InstanceId))
            throw new HypervisorException($"VM {spec.InstanceId} runs on another host; refusing to create it twice.", false);
        var dir = VmDirectory(host, spec.InstanceId);
        if (File.Exists(Path.Combine(dir, "vm.json"))) { await BootAsync(host, dir, Read(dir), ct); return; }
        Directory.CreateDirectory(dir);
        try
        {
            var record = await RecordForAsync(host, spec, Path.Combine(dir, "disk.qcow2"), ct);
            await CreateDiskAsync(spec, record.Disk, ct);
            await WriteRecordAsync(dir, record, ct);
            await BootAsync(host, dir, record, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await RemoveAsync(host, spec.InstanceId, dir);                       // a failed spawn leaves nothing behind
            throw ex as HypervisorException ?? new HypervisorException($"QEMU could not start VM {spec.InstanceId}: {ex.Message}", isTransient: false, ex);
        }
    }

    public async Task DestroyAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        using var _ = await LockAsync(instanceId, ct);
        await RemoveAsync(host, instanceId, VmDirectory(host, instanceId));
    }

    public async Task DeletePooledDiskAsync(HostRef host, InstanceSpec spec, CancellationToken ct)
    {
        if (spec.Pool is not { } pool) return;
        using var _ = await LockAsync(spec.InstanceId, ct);
        if (IsRunning(host, spec.InstanceId)) throw new HypervisorException($"VM {spec.InstanceId} still runs on host '{host.Name}'; its disk stays.", false);
        var disk = PoolDisk(pool, spec.InstanceId);
        if (File.Exists(disk)) File.Delete(disk);
    }

    public async Task SetPowerAsync(HostRef host, Guid instanceId, PowerAction action, CancellationToken ct)
    {
        using var _ = await LockAsync(instanceId, ct);
        var dir = VmDirectory(host, instanceId);
        RequireDefined(host, instanceId, dir);
        await AdoptAsync(host, instanceId, ct);
        switch (action)
        {
            case PowerAction.Start:
                if (!IsRunning(host, instanceId)) await BootAsync(host, dir, Read(dir), ct);
                break;
            case PowerAction.Stop:
                if (_running.TryRemove((host.Name, instanceId), out var vm)) await vm.DisposeAsync(keepDirectory: true);
                break;
            case PowerAction.Reboot:
                if (!_running.TryGetValue((host.Name, instanceId), out var on)) throw new HypervisorException($"VM {instanceId} is shut off; it cannot be rebooted.", false);
                await on.Qmp.ExecuteAsync("system_reset", null, ct);
                break;
        }
    }

    public async Task<VmPowerState> GetPowerStateAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        await AdoptAsync(host, instanceId, ct);
        if (_running.TryGetValue((host.Name, instanceId), out var vm) && !vm.HasExited)
        {
            try
            {
                var status = await vm.StatusAsync(ct);
                return status is "shutdown" or "internal-error" or "guest-panicked" ? VmPowerState.Shutoff : VmPowerState.Running;
            }
            catch (QmpException)
            {
                // QEMU went away between the two looks: shut off, its disk where it was.
            }
        }
        if (File.Exists(Path.Combine(VmDirectory(host, instanceId), "vm.json"))) return VmPowerState.Shutoff;
        return SavedState(instanceId) is not null ? VmPowerState.Suspended : VmPowerState.Absent;
    }

    /// <summary>The VMs defined on the host (a directory with a spec); arrivals not yet activated are not the host's VMs yet.</summary>
    public async Task<IReadOnlyList<VmInfo>> ListAsync(HostRef host, CancellationToken ct)
    {
        var root = HostDirectory(host);
        if (!Directory.Exists(root)) return [];
        var vms = new List<VmInfo>();
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            if (!Guid.TryParse(Path.GetFileName(dir), out var id) || !File.Exists(Path.Combine(dir, "vm.json"))) continue;
            var record = Read(dir);
            vms.Add(new VmInfo(id, await GetPowerStateAsync(host, id, ct), new Domain.Common.Resources(record.Vcpus, record.MemoryMiB, 0, 0)));
        }
        return vms;
    }

    /// <summary>The host answers when its state directory is usable and QEMU is installed.</summary>
    public Task<bool> PingAsync(HostRef host, CancellationToken ct)
    {
        try
        {
            Directory.CreateDirectory(HostDirectory(host));
            return Task.FromResult(QemuProcess.IsInstalled(options.Binary));
        }
        catch (IOException)
        {
            return Task.FromResult(false);
        }
    }

    /// <summary>This machine's CPUs, memory (/proc/meminfo) and the free space where the host's VMs live.</summary>
    public async Task<HostInventory?> GetInventoryAsync(HostRef host, CancellationToken ct)
    {
        var memoryMiB = 0;
        foreach (var line in await File.ReadAllLinesAsync("/proc/meminfo", ct))
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal) && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out var kib))
                memoryMiB = (int)(kib / 1024);
        var dir = HostDirectory(host);
        Directory.CreateDirectory(dir);
        var diskGiB = (int)(new DriveInfo(Path.GetFullPath(dir)).TotalSize / (1024L * 1024 * 1024));
        return new HostInventory(Environment.ProcessorCount, memoryMiB, diskGiB);
    }

    public Task SetHostPowerAsync(HostRef host, bool on, CancellationToken ct) =>
        throw new HypervisorException("Host power control needs the host's BMC, which the qemu driver does not drive.", false);

    /// <summary>
    /// The VM's spec on <paramref name="host"/> from its image there: the kernel, initrd and command line of
    /// <c>ImageDirectory/&lt;image&gt;/</c>, the flavor's memory (at least the 96 MiB the stock kernel needs) and vCPUs.
    /// Both sides of a migration derive it the same way, so their QEMU command lines match.
    /// </summary>
    private async Task<QemuVmRecord> RecordForAsync(HostRef host, InstanceSpec spec, string disk, CancellationToken ct)
    {
        var image = spec.ImageName ?? throw new HypervisorException("The instance names no image.", false);
        var template = Path.Combine(options.ImageDirectory, image);
        var kernel = Path.Combine(template, "vmlinux");
        var initrd = Path.Combine(template, "initrd.gz");
        if (!File.Exists(kernel) || !File.Exists(initrd))
            throw new HypervisorException($"Image '{image}' is not on host '{host.Name}' ({template}/vmlinux and initrd.gz).", false);
        var cmdline = File.Exists(Path.Combine(template, "cmdline")) ? (await File.ReadAllTextAsync(Path.Combine(template, "cmdline"), ct)).Trim()
            : "console=ttyS0 panic=-1 nokaslr quiet";
        return new QemuVmRecord(spec.InstanceId, spec.Name, Math.Max(96, spec.Resources.MemoryMiB), Math.Max(1, spec.Resources.Vcpus),
            Path.GetFullPath(kernel), Path.GetFullPath(initrd), cmdline, Path.GetFullPath(disk));
    }

    /// <summary>
    /// A VM's disk is always exactly the flavor's size (a migration's target makes one of the same size to receive it):
    /// an overlay of that size on the image's template (a fast clone), or a blank disk. Returns the image it is an
    /// overlay of, or null.
    /// </summary>
    private async Task<string?> CreateDiskAsync(InstanceSpec spec, string disk, CancellationToken ct)
    {
        var size = $"{DiskGiB(spec)}G";
        var backing = spec.ImageName is { } image ? Path.Combine(options.ImageDirectory, image, "disk.qcow2") : null;
        var overlay = backing is not null && File.Exists(backing);
        await QemuImgAsync(overlay
            ? ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", Path.GetFullPath(backing!), disk, size]
            : ["create", "-q", "-f", "qcow2", disk, size], ct);
        return overlay ? spec.ImageName : null;
    }

    private static int DiskGiB(InstanceSpec spec) => Math.Max(1, spec.Resources.DiskGiB);

    private async Task BootAsync(HostRef host, string dir, QemuVmRecord record, CancellationToken ct, bool incoming = false, bool paused = false)
    {
        var vm = await QemuProcess.StartAsync(SpecOf(record, incoming, paused), dir, options.Binary, ct);
        _running[(host.Name, record.InstanceId)] = vm;
        log.LogInformation("VM {InstanceId} runs on host {Host} (QEMU pid {Pid})", record.InstanceId, host.Name, vm.Pid);
    }

    private QemuVmSpec SpecOf(QemuVmRecord record, bool incoming = false, bool paused = false) =>
        new(record.Name, record.MemoryMiB, record.Vcpus, record.Kernel, record.Initrd, record.Append, record.Disk, incoming, paused, options.Accelerator);

    /// <summary>
    /// Ends the VM's QEMU (ours, or by its pid file) and removes its directory. A disk on a shared pool stays: fencing
    /// destroys a stale copy whose VM may already run elsewhere on that very file.
    /// </summary>
    private async Task RemoveAsync(HostRef host, Guid instanceId, string dir)
    {
        if (_running.TryRemove((host.Name, instanceId), out var vm)) await vm.DisposeAsync(keepDirectory: false);
        else KillOrphan(dir);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>A QEMU this process did not start (before an agent restart): end it by its pid file.</summary>
    private static void KillOrphan(string dir)
    {
        if (QemuProcess.LiveQemuOf(dir) is not { } orphan) return;
        using (orphan)
        {
            orphan.Kill();
            orphan.WaitForExit(5000);
        }
    }

    /// <summary>
    /// After an agent restart its VMs still run, but this process holds no handle on them: a VM whose directory has a
    /// live QEMU (pid file, QMP socket) is taken back over before anything is done with it.
    /// </summary>
    private async Task AdoptAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        if (_running.TryGetValue((host.Name, instanceId), out var known) && !known.HasExited) return;
        var dir = VmDirectory(host, instanceId);
        if (!File.Exists(Path.Combine(dir, "vm.json")) || !File.Exists(Path.Combine(dir, "qemu.pid"))) return;
        if (await QemuProcess.AttachAsync(SpecOf(Read(dir)), dir, ct) is not { } vm) return;
        _running[(host.Name, instanceId)] = vm;
        log.LogInformation("Took VM {InstanceId} on host {Host} back over (QEMU pid {Pid}, started before this agent)", instanceId, host.Name, vm.Pid);
    }

    /// <summary>The agent shutting down: its QMP connections close, its VMs keep running (a restarted agent adopts them).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var key in _running.Keys)
            if (_running.TryRemove(key, out var vm)) await vm.DetachAsync();
        foreach (var key in _incoming.Keys)
            if (_incoming.TryRemove(key, out var arriving) && arriving.Process is { } process) await process.DetachAsync();
    }

    private bool IsRunning(HostRef host, Guid instanceId) => _running.TryGetValue((host.Name, instanceId), out var vm) && !vm.HasExited;

    private QemuProcess RunningOn(HostRef host, Guid instanceId) =>
        _running.TryGetValue((host.Name, instanceId), out var vm) && !vm.HasExited
            ? vm
            : throw new HypervisorException($"VM {instanceId} is not running on host '{host.Name}'.", false);

    /// <summary>Runs qemu-img to completion; its output, or a permanent driver error with what it said.</summary>
    private async Task<string> QemuImgAsync(IReadOnlyList<string> args, CancellationToken ct) => await RunToolAsync(options.ImgBinary, args, ct);

    private static async Task<string> RunToolAsync(string binary, IReadOnlyList<string> args, CancellationToken ct)
    {
        using var process = StartTool(binary, args);
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0) throw new HypervisorException($"{Path.GetFileName(binary)} {args[0]} failed: {error.Trim()}", false);
        return await output;
    }

    /// <summary>Starts a tool with its output and errors redirected (the caller reads both and disposes it).</summary>
    private static Process StartTool(string binary, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        return Process.Start(start) ?? throw new HypervisorException($"{binary} could not be started.", false);
    }

    private async Task<IDisposable> LockAsync(Guid instanceId, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(instanceId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    private string HostDirectory(HostRef host) => Path.Combine(options.StateDirectory, host.Name);
    private string VmDirectory(HostRef host, Guid instanceId) => Path.GetFullPath(Path.Combine(HostDirectory(host), instanceId.ToString()));
    private string PoolDisk(string pool, Guid instanceId) => Path.GetFullPath(Path.Combine(options.PoolDirectory, pool, $"{instanceId}.qcow2"));

    /// <summary>Throws unless a VM is defined in <paramref name="dir"/> (its <c>vm.json</c>).</summary>
    private static void RequireDefined(HostRef host, Guid instanceId, string dir)
    {
        if (!File.Exists(Path.Combine(dir, "vm.json"))) throw new HypervisorException($"No VM {instanceId} exists on host '{host.Name}'.", false);
    }

    /// <summary>
    /// A blank qcow2 of <paramref name="disk"/>'s virtual size at <paramref name="file"/>, added to the running VM as block
    /// node <paramref name="node"/> (the target of a mirror or a backup).
    /// </summary>
    private async Task AddBlankCopyNodeAsync(QemuProcess vm, string disk, string file, string node, CancellationToken ct)
    {
        var size = JsonNode.Parse(await QemuImgAsync(["info", "-U", "--output=json", disk], ct))?["virtual-size"]?.GetValue<long>()
                   ?? throw new HypervisorException("The disk's size is unknown.", false);
        await QemuImgAsync(["create", "-q", "-f", "qcow2", file, Bytes(size)], ct);
        await vm.Qmp.ExecuteAsync("blockdev-add", new JsonObject
        {
            ["driver"] = "qcow2", ["node-name"] = node, ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = file },
        }, ct);
    }

    /// <summary>Removes a block node, if it is there.</summary>
    private static async Task TryDeleteNodeAsync(QemuProcess vm, string node, CancellationToken ct)
    {
        try { await vm.Qmp.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = node }, ct); }
        catch (QmpException) { }
    }

    /// <summary>The VM's block job on <paramref name="device"/>, or (it is gone) the error it ended with, if any.</summary>
    private static async Task<(JsonNode? Job, string? EndedWith)> BlockJobAsync(QemuProcess vm, string device, CancellationToken ct)
    {
        var job = ((await vm.Qmp.ExecuteAsync("query-block-jobs", null, ct))?.AsArray() ?? []).FirstOrDefault(j => j?["device"]?.GetValue<string>() == device);
        if (job is not null) return (job, null);
        var ended = vm.Qmp.Events("BLOCK_JOB_COMPLETED").LastOrDefault(e => e.Data?["device"]?.GetValue<string>() == device);
        return (null, ended?.Data?["error"]?.GetValue<string>());
    }

    private static QemuVmRecord Read(string dir) =>
        JsonSerializer.Deserialize<QemuVmRecord>(File.ReadAllText(Path.Combine(dir, "vm.json"))) ?? throw new HypervisorException($"{dir}/vm.json is unreadable.", false);

    private static async Task WriteRecordAsync(string dir, QemuVmRecord record, CancellationToken ct)
    {
        var temp = Path.Combine(dir, "vm.json.tmp");
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(record), ct);
        File.Move(temp, Path.Combine(dir, "vm.json"), overwrite: true);
    }

    private static string Bytes(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
