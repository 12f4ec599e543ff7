using System.Diagnostics;
using IaasApi.Infrastructure.Hypervisors.Qemu;
using Microsoft.Extensions.Logging.Abstractions;

[assembly: AssemblyFixture(typeof(IaasApi.Qemu.Tests.QemuLab))]
// Real VMs on 2 cores: one test at a time keeps at most two busy guests.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace IaasApi.Qemu.Tests;

/// <summary>
/// The real-QEMU lab: <c>qemu-system-x86_64</c> on the PATH and the tiny guest (IAAS_TEST_GUEST, or built once by
/// scripts/build-guest.sh into /tmp/iaas-guest). When either is missing the tests skip, saying why.
/// </summary>
public sealed class QemuLab : IAsyncLifetime
{
    public string? Unavailable { get; private set; }
    public string GuestDirectory { get; private set; } = "";
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"iaas-qemu-tests-{Environment.ProcessId}");

    public ValueTask InitializeAsync()
    {
        if (!QemuProcess.IsInstalled())
        {
            Unavailable = "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86 qemu-utils busybox-static cpio binutils)";
            return ValueTask.CompletedTask;
        }
        GuestDirectory = Environment.GetEnvironmentVariable("IAAS_TEST_GUEST") ?? Path.Combine(Path.GetTempPath(), "iaas-guest");
        if (!File.Exists(Path.Combine(GuestDirectory, "vmlinux")) || !File.Exists(Path.Combine(GuestDirectory, "initrd.gz")))
        {
            var script = FindScript();
            var build = script is null ? null : Process.Start(new ProcessStartInfo("bash", [script, GuestDirectory]) { RedirectStandardOutput = true, RedirectStandardError = true });
            build?.WaitForExit(120_000);
            if (build is null || build.ExitCode != 0)
                Unavailable = $"the test guest could not be built into {GuestDirectory}: {build?.StandardError.ReadToEnd().Trim() ?? "scripts/build-guest.sh not found"}";
        }
        return ValueTask.CompletedTask;
    }

    public void RequireQemu() => Assert.SkipWhen(Unavailable is not null, $"Skipped: {Unavailable}.");

    /// <summary>The tiny guest's spec: idle, or rewriting <paramref name="dirtyMiB"/> of memory in a loop.</summary>
    public QemuVmSpec Guest(string name, int memoryMiB = 128, int dirtyMiB = 0, bool incoming = false, bool paused = false, string? disk = null) =>
        new(name, memoryMiB, 1, Path.Combine(GuestDirectory, "vmlinux"), Path.Combine(GuestDirectory, "initrd.gz"),
            $"console=ttyS0 panic=-1 nokaslr quiet dirty={dirtyMiB} hb=1", disk, incoming, paused);

    public Task<QemuProcess> StartAsync(QemuVmSpec spec) =>
        QemuProcess.StartAsync(spec, Path.Combine(_root, $"{spec.Name}-{Guid.NewGuid().ToString("N")[..8]}"));

    /// <summary>
    /// A qemu driver — one host agent — whose state and images (<c>tiny</c>: the test guest, booted with
    /// <paramref name="cmdline"/> if given) live under <paramref name="root"/>, and whose shared storage (pools, saved VMs)
    /// lives under <paramref name="shared"/> (default: <paramref name="root"/>). Several drivers on one root are one agent
    /// restarting; drivers on two roots sharing <paramref name="shared"/> are two hosts' agents.
    /// </summary>
    public QemuDriver Driver(string root, string? cmdline = null, string? shared = null)
    {
        var image = Path.Combine(root, "images", "tiny");
        Directory.CreateDirectory(image);
        foreach (var file in new[] { "vmlinux", "initrd.gz" })
            if (!File.Exists(Path.Combine(image, file))) File.CreateSymbolicLink(Path.Combine(image, file), Path.Combine(GuestDirectory, file));
        if (cmdline is not null) File.WriteAllText(Path.Combine(image, "cmdline"), cmdline);
        return new QemuDriver(new QemuOptions
        {
            Enabled = true, StateDirectory = Path.Combine(root, "state"), ImageDirectory = Path.Combine(root, "images"),
            PoolDirectory = Path.Combine(shared ?? root, "pools"), SaveDirectory = Path.Combine(shared ?? root, "saved"),
        }, NullLogger<QemuDriver>.Instance);
    }

    /// <summary>The guest's heartbeats on a serial log so far (<c>HB n</c> lines), and the last n.</summary>
    public static (int Count, int Last) Heartbeats(string serialLog) => QemuProcess.HeartbeatsIn(serialLog);

    /// <summary>Runs a QEMU tool (qemu-io, qemu-img) and returns what it printed.</summary>
    public static string Run(string binary, params string[] args)
    {
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return text;
    }

    /// <summary>Polls <paramref name="condition"/> every 100 ms for up to a minute.</summary>
    public static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No {what} within 60 s.");
            await Task.Delay(100);
        }
    }

    /// <summary>Kills the QEMU processes (and qemu-nbd servers) whose pid files lie under <paramref name="root"/> (the ones these tests started).</summary>
    public static void KillStartedUnder(string root)
    {
        if (!Directory.Exists(root)) return;
        foreach (var pidFile in Directory.EnumerateFiles(root, "*.pid", SearchOption.AllDirectories))
        {
            if (QemuProcess.LiveQemuOf(Path.GetDirectoryName(pidFile)!, Path.GetFileName(pidFile)) is not { } process) continue;
            using (process)
            {
                try { process.Kill(); process.WaitForExit(2000); }
                catch (InvalidOperationException) { }     // it ended meanwhile
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        KillStartedUnder(_root);
        try { if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }

    private static string? FindScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "build-guest.sh"))) return Path.Combine(dir.FullName, "scripts", "build-guest.sh");
        return null;
    }
}
