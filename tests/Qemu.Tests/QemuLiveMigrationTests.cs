using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;
using IaasApi.Infrastructure.Hypervisors.Qemu;

namespace IaasApi.Qemu.Tests;

/// <summary>
/// The qemu driver's live migration against real QEMU (TCG), driver to QEMU: an idle guest converges and its heartbeat
/// carries on at the destination after activation; a guest dirtying memory faster than a 1 MiB/s link does not converge
/// and an abort leaves it running on the source; force-complete (post-copy) finishes such a migration.
/// </summary>
public sealed class QemuLiveMigrationTests(QemuLab lab, ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("iaas-qemu-mig-").FullName;
    private static readonly HostRef A = new(Guid.NewGuid(), "qemu-a", "qemu");
    private static readonly HostRef B = new(Guid.NewGuid(), "qemu-b", "qemu");

    private QemuDriver Driver(int dirtyMiB) => lab.Driver(_root, $"console=ttyS0 panic=-1 nokaslr quiet dirty={dirtyMiB} hb=1");

    private string Serial(HostRef host, Guid id) => Path.Combine(_root, "state", host.Name, id.ToString(), "serial.log");

    private async Task<InstanceSpec> RunningAsync(QemuDriver driver)
    {
        var spec = new InstanceSpec(Guid.NewGuid(), "vm", new Resources(1, 128, 1, 0), Guid.NewGuid(), "tiny", null);
        await driver.SpawnAsync(A, spec, default);
        await QemuLab.WaitForAsync(() => File.Exists(Serial(A, spec.InstanceId)) && File.ReadAllText(Serial(A, spec.InstanceId)).Contains("HB 2"), "HB 2");
        return spec;
    }

    private static async Task<LiveMigrationStatus> UntilAsync(QemuDriver driver, Guid id, Func<LiveMigrationStatus, bool> done, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var status = await driver.GetLiveMigrationAsync(A, id, default);
            if (done(status)) return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Migration still {status.State} after {seconds} s ({status.Rounds.Count} rounds).");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task AnIdleGuest_Converges_AndRunsOnTheDestinationAfterActivation()
    {
        lab.RequireQemu();
        var driver = Driver(0);
        var spec = await RunningAsync(driver);
        await driver.StartLiveMigrationAsync(new LiveMigrationRequest(A, B, spec, 128, 300, ConvergenceEscalation.Abort, 30, 60), default);
        var switched = await UntilAsync(driver, spec.InstanceId, s => s.State != LiveMigrationState.Active);
        Assert.Equal((LiveMigrationState.Switched, PreCopyOutcome.Converged), (switched.State, switched.Outcome));
        Assert.NotEmpty(switched.Rounds);
        output.WriteLine($"idle: {switched.Rounds.Count} round(s), {switched.TransferredMiB:F1} MiB, downtime {switched.DowntimeMs} ms");

        await driver.ActivateMigratedAsync(A, B, spec.InstanceId, default);
        await driver.ActivateMigratedAsync(A, B, spec.InstanceId, default);       // idempotent
        Assert.Equal(VmPowerState.Running, await driver.GetPowerStateAsync(B, spec.InstanceId, default));
        Assert.Equal(VmPowerState.Absent, await driver.GetPowerStateAsync(A, spec.InstanceId, default));
        Assert.True(File.Exists(Path.Combine(_root, "state", B.Name, spec.InstanceId.ToString(), "disk.qcow2")));
        await QemuLab.WaitForAsync(() => File.Exists(Serial(B, spec.InstanceId)) && File.ReadAllText(Serial(B, spec.InstanceId)).Contains("HB "), "a heartbeat on the destination");
        await driver.SetPowerAsync(B, spec.InstanceId, PowerAction.Stop, default);   // its life goes on there
        await driver.SetPowerAsync(B, spec.InstanceId, PowerAction.Start, default);
        await driver.DestroyAsync(B, spec.InstanceId, default);
        Assert.Empty(await driver.ListAsync(B, default));
    }

    [Fact]
    public async Task ADirtyingGuestOnASlowLink_DoesNotConverge_AnAbortLeavesItOnTheSource_AndForceCompleteFinishesIt()
    {
        lab.RequireQemu();
        var driver = Driver(16);
        var spec = await RunningAsync(driver);
        var slow = new LiveMigrationRequest(A, B, spec, 1, 50, ConvergenceEscalation.Abort, 1000, 600);
        await driver.StartLiveMigrationAsync(slow, default);
        var active = await UntilAsync(driver, spec.InstanceId, s => s.Rounds.Count >= 1 || s.State != LiveMigrationState.Active, 30);
        Assert.Equal(LiveMigrationState.Active, active.State);
        await driver.AbortLiveMigrationAsync(A, B, spec.InstanceId, default);
        Assert.Equal(VmPowerState.Running, await driver.GetPowerStateAsync(A, spec.InstanceId, default));
        Assert.False(Directory.Exists(Path.Combine(_root, "state", B.Name, spec.InstanceId.ToString())));
        var before = File.ReadAllText(Serial(A, spec.InstanceId)).Split('\n').Count(l => l.StartsWith("HB "));
        await QemuLab.WaitForAsync(() => File.ReadAllText(Serial(A, spec.InstanceId)).Split('\n').Count(l => l.StartsWith("HB ")) > before, "a heartbeat on the source");

        // Again, and this time finish it by switching to post-copy.
        await driver.StartLiveMigrationAsync(slow, default);
        await UntilAsync(driver, spec.InstanceId, s => s.Rounds.Count >= 1, 30);
        await driver.ForceCompleteLiveMigrationAsync(A, spec.InstanceId, default);
        var forced = await UntilAsync(driver, spec.InstanceId, s => s.State != LiveMigrationState.Active, 120);
        Assert.Equal((LiveMigrationState.Switched, PreCopyOutcome.ForceCompleted), (forced.State, forced.Outcome));
        output.WriteLine($"forced: {forced.Rounds.Count} round(s), downtime {forced.DowntimeMs} ms");
        await driver.ActivateMigratedAsync(A, B, spec.InstanceId, default);
        Assert.Equal(VmPowerState.Running, await driver.GetPowerStateAsync(B, spec.InstanceId, default));
        await driver.DestroyAsync(B, spec.InstanceId, default);
    }

    [Fact]
    public async Task Cold_CopiesTheShutOffDisk_RegistersIt_AndTheVmBootsOnTheTarget_WhileAnAbortLeavesTheSourceAsItWas()
    {
        lab.RequireQemu();
        var driver = Driver(0);
        var spec = await RunningAsync(driver);
        var copy = new DiskCopyRequest(A, B, spec, 100);
        await Assert.ThrowsAsync<HypervisorException>(() => driver.StartDiskCopyAsync(copy, default));   // running: copied cold only
        await driver.SetPowerAsync(A, spec.InstanceId, PowerAction.Stop, default);

        await driver.StartDiskCopyAsync(copy, default);
        await driver.AbortDiskCopyAsync(A, B, spec.InstanceId, default);
        Assert.False(Directory.Exists(Path.Combine(_root, "state", B.Name, spec.InstanceId.ToString())));
        Assert.Equal(VmPowerState.Shutoff, await driver.GetPowerStateAsync(A, spec.InstanceId, default));

        await driver.StartDiskCopyAsync(copy, default);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        DiskCopyStatus status;
        while ((status = await driver.GetDiskCopyAsync(A, spec.InstanceId, default)).State == DiskCopyState.Copying && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.Equal(DiskCopyState.Synced, status.State);
        await driver.RegisterCopyAsync(A, B, spec, default);
        Assert.Equal(VmPowerState.Shutoff, await driver.GetPowerStateAsync(A, spec.InstanceId, default));   // still the source's
        await driver.FinishColdMigrationAsync(A, B, spec.InstanceId, default);
        Assert.Equal(VmPowerState.Absent, await driver.GetPowerStateAsync(A, spec.InstanceId, default));
        Assert.Equal(VmPowerState.Shutoff, await driver.GetPowerStateAsync(B, spec.InstanceId, default));
        await driver.SetPowerAsync(B, spec.InstanceId, PowerAction.Start, default);
        await QemuLab.WaitForAsync(() => File.Exists(Serial(B, spec.InstanceId)) && File.ReadAllText(Serial(B, spec.InstanceId)).Contains("HB 1"), "a heartbeat on the target");
        await driver.DestroyAsync(B, spec.InstanceId, default);
    }

    [Fact]
    public async Task Storage_MirrorsTheRunningDiskIntoThePool_AndAfterThePivotTheGuestWritesThere()
    {
        lab.RequireQemu();
        var driver = Driver(0);
        var spec = await RunningAsync(driver);
        var localDisk = Path.Combine(_root, "state", A.Name, spec.InstanceId.ToString(), "disk.qcow2");
        var request = new StorageMirrorRequest(A, spec, null, "fast", 512);
        await driver.StartStorageMirrorAsync(request, default);
        await driver.StartStorageMirrorAsync(request, default);                   // idempotent
        var deadline = DateTime.UtcNow.AddSeconds(60);
        DiskCopyStatus status;
        while ((status = await driver.GetStorageMirrorAsync(A, spec.InstanceId, default)).State == DiskCopyState.Copying && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.Equal(DiskCopyState.Synced, status.State);
        await driver.PivotStorageMirrorAsync(A, spec.InstanceId, default);
        await driver.PivotStorageMirrorAsync(A, spec.InstanceId, default);        // idempotent
        var pooled = Path.Combine(_root, "pools", "fast", $"{spec.InstanceId}.qcow2");
        Assert.True(File.Exists(pooled));
        Assert.False(File.Exists(localDisk));
        Assert.Equal(VmPowerState.Running, await driver.GetPowerStateAsync(A, spec.InstanceId, default));

        // The guest writes "HB <n>" into its disk's first sector every second: it now lands in the pool's file.
        var beat = File.ReadAllText(Serial(A, spec.InstanceId)).Split('\n').Count(l => l.StartsWith("HB "));
        await QemuLab.WaitForAsync(() => File.ReadAllText(Serial(A, spec.InstanceId)).Split('\n').Count(l => l.StartsWith("HB ")) >= beat + 2, "two more heartbeats");
        var sector = Run("qemu-io", "-U", "-r", "-f", "qcow2", "-c", "read -v 0 16", pooled);
        output.WriteLine(sector);
        Assert.Contains("HB", sector);
        await driver.DestroyAsync(A, spec.InstanceId, default);
    }

    private static string Run(string binary, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return text;
    }


    public void Dispose()
    {
        QemuLab.KillStartedUnder(_root);          // a failed test may leave its VMs running: end them by their pid files
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
