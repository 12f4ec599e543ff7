using System.Diagnostics;
using System.Text.Json.Nodes;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

/// <summary>
/// How to start one VM's QEMU process. A direct-kernel boot (<see cref="Kernel"/>, <see cref="Initrd"/>,
/// <see cref="Append"/>) is what the test guest uses; <see cref="Disk"/> attaches a qcow2 as a virtio disk (node
/// <c>disk0</c>). <see cref="Incoming"/>: a migration destination (<c>-incoming defer</c>: it waits for
/// <c>migrate-incoming</c>). <see cref="Paused"/>: <c>-S</c>, the CPUs wait for <c>cont</c>.
/// </summary>
public sealed record QemuVmSpec(string Name, int MemoryMiB, int Vcpus, string Kernel, string Initrd, string Append, string? Disk = null,
                                bool Incoming = false, bool Paused = false, string Accelerator = "tcg");

/// <summary>
/// A running QEMU process of one VM, with its directory (QMP socket, serial log, pid file), its QMP connection and its
/// serial console. Measured facts this follows (../shared/qemu-guest): TCG is the accelerator on nested machines
/// (KVM only after a probe boot succeeds); a PVH kernel boots to the first heartbeat in about 4 s under TCG.
/// </summary>
public sealed class QemuProcess : IAsyncDisposable
{
    private readonly Process _process;

    private QemuProcess(Process process, string directory, QmpClient qmp, QemuVmSpec spec)
    {
        _process = process;
        Directory = directory;
        Qmp = qmp;
        Spec = spec;
    }

    public string Directory { get; }
    public QmpClient Qmp { get; }
    public QemuVmSpec Spec { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public string SerialLog => Path.Combine(Directory, "serial.log");

    /// <summary>Whether <paramref name="binary"/> (a path, or a name looked up on the PATH) is installed.</summary>
    public static bool IsInstalled(string binary = "qemu-system-x86_64") =>
        Path.IsPathRooted(binary) ? File.Exists(binary)
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, binary)));

    /// <summary>A TCP port free on 127.0.0.1 now.</summary>
    public static int FreeLoopbackPort() => FreePort("127.0.0.1");

    /// <summary>A TCP port free on <paramref name="address"/> now (a migration stream's, an NBD export's).</summary>
    public static int FreePort(string address)
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Parse(address), 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Asks a process to end (SIGTERM: QEMU's tools then flush and close their images), and kills it if it has not
    /// within <paramref name="grace"/>.
    /// </summary>
    public static void Terminate(Process process, TimeSpan grace)
    {
        if (process.HasExited) return;
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])))
            kill?.WaitForExit(2000);
        if (!process.WaitForExit(grace)) process.Kill();
        process.WaitForExit(5000);
    }

    /// <summary>The command line for <paramref name="spec"/> with its files in <paramref name="directory"/>.</summary>
    public static IReadOnlyList<string> Arguments(QemuVmSpec spec, string directory)
    {
        var args = new List<string>
        {
            "-name", spec.Name, "-accel", spec.Accelerator, "-machine", "q35", "-cpu", "qemu64",
            "-m", spec.MemoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-smp", spec.Vcpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-nodefaults", "-display", "none",
            "-kernel", spec.Kernel, "-initrd", spec.Initrd, "-append", spec.Append,
            "-serial", $"file:{Path.Combine(directory, "serial.log")}",
            "-qmp", $"unix:{Path.Combine(directory, "qmp.sock")},server=on,wait=off",
            "-pidfile", Path.Combine(directory, "qemu.pid"),
        };
        if (spec.Disk is { } disk)
            args.AddRange(["-blockdev", $"driver=file,filename={disk},node-name=file0", "-blockdev", "driver=qcow2,file=file0,node-name=disk0",
                           "-device", "virtio-blk-pci,drive=disk0,id=vd0"]);
        if (spec.Incoming) args.AddRange(["-incoming", "defer"]);
        if (spec.Paused) args.Add("-S");
        return args;
    }

    /// <summary>Starts QEMU for <paramref name="spec"/> in <paramref name="directory"/> and connects to its QMP socket.</summary>
    public static async Task<QemuProcess> StartAsync(QemuVmSpec spec, string directory, string binary = "qemu-system-x86_64",
                                                     CancellationToken ct = default)
    {
        System.IO.Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in Arguments(spec, directory)) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {binary}.");
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            var qmp = await QmpClient.ConnectAsync(Path.Combine(directory, "qmp.sock"), TimeSpan.FromSeconds(10), ct);
            return new QemuProcess(process, directory, qmp, spec);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new InvalidOperationException($"QEMU did not come up: {ex.Message} {await stderr}".Trim(), ex);
        }
    }

    /// <summary>
    /// Re-attaches to a QEMU this process did not start — an agent restarted while its VMs ran: the pid file says which
    /// process, and the QMP socket takes the new connection (QEMU serves one client at a time; the old one died with the
    /// old agent). Null when no live QEMU answers for the directory.
    /// </summary>
    public static async Task<QemuProcess?> AttachAsync(QemuVmSpec spec, string directory, CancellationToken ct = default)
    {
        if (LiveQemuOf(directory) is not { } process) return null;
        try
        {
            var qmp = await QmpClient.ConnectAsync(Path.Combine(directory, "qmp.sock"), TimeSpan.FromSeconds(5), ct);
            return new QemuProcess(process, directory, qmp, spec);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            process.Dispose();
            return null;
        }
    }

    /// <summary>The live QEMU process (or tool) a directory's pid file names (the caller disposes it), or null.</summary>
    public static Process? LiveQemuOf(string directory, string pidFileName = "qemu.pid")
    {
        var pidFile = Path.Combine(directory, pidFileName);
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) return null;
        try
        {
            var process = Process.GetProcessById(pid);
            if (!process.HasExited && process.ProcessName.StartsWith("qemu", StringComparison.Ordinal)) return process;
            process.Dispose();
        }
        catch (ArgumentException)
        {
            // No such process any more.
        }
        return null;
    }

    /// <summary>Lets go of QEMU without stopping it (the agent shutting down: its VMs keep running).</summary>
    public async ValueTask DetachAsync()
    {
        await Qmp.DisposeAsync();
        _process.Dispose();
    }

    /// <summary>The VM's run state as QEMU reports it (<c>running</c>, <c>paused</c>, <c>inmigrate</c>, <c>postmigrate</c>…).</summary>
    public async Task<string> StatusAsync(CancellationToken ct = default) =>
        (await Qmp.ExecuteAsync("query-status", null, ct))?["status"]?.GetValue<string>() ?? "unknown";

    /// <summary>The serial console so far.</summary>
    public string Serial() => File.Exists(SerialLog) ? File.ReadAllText(SerialLog) : "";

    /// <summary>The last heartbeat the guest printed (<c>HB n</c>), 0 before the first.</summary>
    public int LastHeartbeat() => HeartbeatsIn(SerialLog).Last;

    /// <summary>The heartbeats (<c>HB n</c> lines) in a guest's serial log: how many, and the last one's number (0 before the first).</summary>
    public static (int Count, int Last) HeartbeatsIn(string serialLog)
    {
        var (count, last) = (0, 0);
        if (!File.Exists(serialLog)) return (count, last);
        foreach (var line in File.ReadAllText(serialLog).Split('\n'))
            if (line.StartsWith("HB ", StringComparison.Ordinal) && line.Split(' ') is [_, var n, ..] && int.TryParse(n, out var beat)) (count, last) = (count + 1, beat);
        return (count, last);
    }

    /// <summary>Waits until the guest has printed heartbeat <paramref name="atLeast"/> or later.</summary>
    public async Task<int> WaitForHeartbeatAsync(int atLeast, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var beat = LastHeartbeat();
            if (beat >= atLeast) return beat;
            if (_process.HasExited) throw new InvalidOperationException($"QEMU exited ({_process.ExitCode}); serial: {Tail(Serial())}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No heartbeat {atLeast} within {timeout.TotalSeconds:0} s; serial: {Tail(Serial())}");
            await Task.Delay(100, ct);
        }
    }

    /// <summary>Polls <c>query-migrate</c> until it reports one of <paramref name="statuses"/>; returns the last answer.</summary>
    public async Task<JsonObject> WaitForMigrationAsync(TimeSpan timeout, CancellationToken ct = default, params string[] statuses)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var info = (await Qmp.ExecuteAsync("query-migrate", null, ct))?.AsObject() ?? [];
            if (info["status"]?.GetValue<string>() is { } s && statuses.Contains(s)) return info;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Migration still {info["status"]} after {timeout.TotalSeconds:0} s.");
            await Task.Delay(50, ct);
        }
    }

    /// <summary>Asks QEMU to quit, then makes sure the process is gone; the directory is removed.</summary>
    public ValueTask DisposeAsync() => DisposeAsync(keepDirectory: false);

    /// <summary>Asks QEMU to quit, then makes sure the process is gone; the directory (its disk) stays if asked.</summary>
    public async ValueTask DisposeAsync(bool keepDirectory)
    {
        try
        {
            if (!_process.HasExited && Qmp.IsConnected) await Qmp.ExecuteAsync("quit").WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception ex) when (ex is QmpException or TimeoutException)
        {
            // Already going: the kill below makes sure.
        }
        await Qmp.DisposeAsync();
        if (!_process.WaitForExit(2000)) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(CancellationToken.None);
        _process.Dispose();
        foreach (var runtime in new[] { "qmp.sock", "qemu.pid" })
            if (File.Exists(Path.Combine(Directory, runtime))) File.Delete(Path.Combine(Directory, runtime));
        if (!keepDirectory)
            try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    private static string Tail(string text) => text.Length > 400 ? text[^400..] : text;
}
