using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;
using IaasApi.Infrastructure.Hypervisors.Qemu;

namespace IaasApi.Qemu.Tests;

/// <summary>
/// Moving real VMs (QEMU, TCG) between two hosts whose agents are two qemu drivers with their own state directories
/// (nothing shared but the pools and the saved-VM store), each call made on one host as the control plane makes them:
/// the target prepares, the source sends, the target activates, the source lets go. A local disk goes across over NBD
/// while the guest writes to it; a disk on a shared pool stays where it is; a non-converging migration is cancelled
/// with the guest running on the source, then finished by post-copy; cold migration copies the shut-off disk into the
/// target's NBD export; storage migration mirrors into a pool.
/// </summary>
public sealed class QemuLiveMigrationTests(QemuLab lab, ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("iaas-qemu-mig-").FullName;
    private static readonly HostRef A = new(Guid.NewGuid(), "qemu-a", "qemu");
    private static readonly HostRef B = new(Guid.NewGuid(), "qemu-b", "qemu");

    /// <summary>The two hosts' agents, their guests idle or rewriting <paramref name="dirtyMiB"/> of memory.</summary>
    private (QemuDriver A, QemuDriver B) Agents(int dirtyMiB = 0)
    {
        var cmdline = $"console=ttyS0 panic=-1 nokaslr quiet dirty={dirtyMiB} hb=1";
        var shared = Path.Combine(_root, "shared");
        return (lab.Driver(Path.Combine(_root, "a"), cmdline, shared), lab.Driver(Path.Combine(_root, "b"), cmdline, shared));
    }

    private string Dir(HostRef host, Guid id) => Path.Combine(_root, host == A ? "a" : "b", "state", host.Name, id.ToString());
    private string Serial(HostRef host, Guid id) => Path.Combine(Dir(host, id), "serial.log");

    private async Task<InstanceSpec> RunningOnAAsync(QemuDriver a)
    {
        var spec = new InstanceSpec(Guid.NewGuid(), "vm", new Resources(1, 128, 1, 0), Guid.NewGuid(), "tiny", null);
        await a.SpawnAsync(A, spec, default);
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(Serial(A, spec.InstanceId)).Last >= 2, "HB 2 on the source");
        return spec;
    }

    private static async Task<LiveMigrationRequest> PrepareLiveAsync(QemuDriver b, InstanceSpec spec, double bandwidthMiBps, int maxDowntimeMs = 300,
                                                                     ConvergenceEscalation escalation = ConvergenceEscalation.Abort)
    {
        var endpoint = await b.PrepareIncomingAsync(new IncomingRequest(B, A, spec, MigrationType.Live), default);
        Assert.Equal(endpoint, await b.PrepareIncomingAsync(new IncomingRequest(B, A, spec, MigrationType.Live), default));   // idempotent
        return new LiveMigrationRequest(A, B, spec, endpoint, bandwidthMiBps, maxDowntimeMs, escalation, 1000, 600);
    }

    private static async Task<LiveMigrationStatus> UntilAsync(QemuDriver a, Guid id, Func<LiveMigrationStatus, bool> done, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var status = await a.AdvanceLiveMigrationAsync(A, id, default);
            if (done(status)) return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Migration still {status.State} after {seconds} s ({status.Rounds.Count} rounds).");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task ALocalDisk_MigratesLiveOverNbd_BetweenTwoAgents_AndTheGuestWritesOnToItsNewDisk()
    {
        lab.RequireQemu();
        var (a, b) = Agents();
        var spec = await RunningOnAAsync(a);
        var request = await PrepareLiveAsync(b, spec, 256);
        Assert.NotNull(request.Incoming.DiskUri);                                  // a local disk: the target exports an empty one
        Assert.False(File.Exists(Path.Combine(Dir(B, spec.InstanceId), "vm.json")));   // arriving, not yet the host's
        await a.StartLiveMigrationAsync(request, default);
        await a.StartLiveMigrationAsync(request, default);                        // idempotent
        var switched = await UntilAsync(a, spec.InstanceId, s => s.State != LiveMigrationState.Active);
        Assert.Equal((LiveMigrationState.Switched, PreCopyOutcome.Converged), (switched.State, switched.Outcome));
        Assert.NotEmpty(switched.Rounds);
        Assert.True(switched.DiskTotalMiB > 0);
        output.WriteLine($"block migration: disk {switched.DiskTotalMiB:F0} MiB mirrored, {switched.Rounds.Count} round(s), " +
                         $"{switched.TransferredMiB:F1} MiB of memory, downtime {switched.DowntimeMs} ms");
        var lastOnSource = QemuLab.Heartbeats(Serial(A, spec.InstanceId)).Last;

        await b.ActivateIncomingAsync(B, spec.InstanceId, run: true, default);
        await b.ActivateIncomingAsync(B, spec.InstanceId, run: true, default);    // idempotent
        await a.ReleaseOutgoingAsync(A, spec.InstanceId, default);
        await a.ReleaseOutgoingAsync(A, spec.InstanceId, default);                // idempotent
        Assert.Equal(VmPowerState.Running, await b.GetPowerStateAsync(B, spec.InstanceId, default));
        Assert.Equal(VmPowerState.Absent, await a.GetPowerStateAsync(A, spec.InstanceId, default));
        Assert.False(Directory.Exists(Dir(A, spec.InstanceId)));

        // The guest carries on counting where it was, and writes its heartbeat into its new disk's first sector.
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(Serial(B, spec.InstanceId)).Last >= lastOnSource + 2, "two heartbeats on the destination");
        Assert.True(QemuLab.Heartbeats(Serial(B, spec.InstanceId)).Count < QemuLab.Heartbeats(Serial(B, spec.InstanceId)).Last);   // not a reboot
        var sector = QemuLab.Run("qemu-io", "-U", "-r", "-f", "qcow2", "-c", "read -v 0 16", Path.Combine(Dir(B, spec.InstanceId), "disk.qcow2"));
        Assert.Contains("HB", sector);
        await b.SetPowerAsync(B, spec.InstanceId, PowerAction.Stop, default);     // its life goes on there
        await b.SetPowerAsync(B, spec.InstanceId, PowerAction.Start, default);
        await b.DestroyAsync(B, spec.InstanceId, default);
        Assert.Empty(await b.ListAsync(B, default));
    }

    [Fact]
    public async Task OnASharedPool_ANonConvergingMigrationIsCancelled_TheGuestRunsOnTheSource_ThenPostCopyFinishesIt()
    {
        lab.RequireQemu();
        var (a, b) = Agents(dirtyMiB: 16);
        var spec = await RunningOnAAsync(a);
        // Onto the shared pool first (a storage migration), so only the memory crosses.
        await a.StartStorageMirrorAsync(new StorageMirrorRequest(A, spec, null, "shared", 512), default);
        await WaitForMirrorAsync(a, spec.InstanceId);
        await a.PivotStorageMirrorAsync(A, spec.InstanceId, default);
        var pooled = spec with { Pool = "shared" };

        var slow = await PrepareLiveAsync(b, pooled, 1, maxDowntimeMs: 50);
        Assert.Null(slow.Incoming.DiskUri);                                         // the pool's file: nothing to copy
        await a.StartLiveMigrationAsync(slow, default);
        var active = await UntilAsync(a, spec.InstanceId, s => s.Rounds.Count >= 1 || s.State != LiveMigrationState.Active, 30);
        Assert.Equal(LiveMigrationState.Active, active.State);
        await a.CancelOutgoingAsync(A, spec.InstanceId, default);
        await a.CancelOutgoingAsync(A, spec.InstanceId, default);                 // idempotent
        await b.DiscardIncomingAsync(B, spec.InstanceId, default);
        await b.DiscardIncomingAsync(B, spec.InstanceId, default);                // idempotent
        Assert.False(Directory.Exists(Dir(B, spec.InstanceId)));
        Assert.True(File.Exists(Path.Combine(_root, "shared", "pools", "shared", $"{spec.InstanceId}.qcow2")));   // the pool's file stays
        Assert.Equal(VmPowerState.Running, await a.GetPowerStateAsync(A, spec.InstanceId, default));
        var before = QemuLab.Heartbeats(Serial(A, spec.InstanceId)).Count;
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(Serial(A, spec.InstanceId)).Count > before, "a heartbeat on the source");

        // Again, and this time finish it by switching to post-copy.
        var again = await PrepareLiveAsync(b, pooled, 1, maxDowntimeMs: 50);
        await a.StartLiveMigrationAsync(again, default);
        await UntilAsync(a, spec.InstanceId, s => s.Rounds.Count >= 1, 30);
        await a.ForceCompleteLiveMigrationAsync(A, spec.InstanceId, default);
        // Post-copy's pull (QEMU's postcopy-active) is a state of its own; it ends switched over.
        var forced = await UntilAsync(a, spec.InstanceId, s => s.State is not (LiveMigrationState.Active or LiveMigrationState.PostCopy), 120);
        Assert.Equal((LiveMigrationState.Switched, PreCopyOutcome.ForceCompleted), (forced.State, forced.Outcome));
        output.WriteLine($"post-copy: {forced.Rounds.Count} round(s), downtime {forced.DowntimeMs} ms");
        await b.ActivateIncomingAsync(B, spec.InstanceId, run: true, default);
        await a.ReleaseOutgoingAsync(A, spec.InstanceId, default);
        Assert.Equal(VmPowerState.Running, await b.GetPowerStateAsync(B, spec.InstanceId, default));
        var last = QemuLab.Heartbeats(Serial(A, spec.InstanceId)).Last;
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(Serial(B, spec.InstanceId)).Last > last, "a heartbeat on the destination");
        await b.DestroyAsync(B, spec.InstanceId, default);
    }

    [Fact]
    public async Task Cold_CopiesTheShutOffDiskIntoTheTargetsExport_AndTheVmBootsThere_WhileACancelLeavesTheSourceAsItWas()
    {
        lab.RequireQemu();
        var (a, b) = Agents();
        var spec = await RunningOnAAsync(a);
        var endpoint = await b.PrepareIncomingAsync(new IncomingRequest(B, A, spec, MigrationType.Cold), default);
        Assert.Null(endpoint.MigrationUri);
        var copy = new DiskCopyRequest(A, B, spec, endpoint, 100);
        await Assert.ThrowsAsync<HypervisorException>(() => a.StartDiskCopyAsync(copy, default));   // running: copied cold only
        await a.SetPowerAsync(A, spec.InstanceId, PowerAction.Stop, default);

        await a.StartDiskCopyAsync(copy, default);
        await a.CancelOutgoingAsync(A, spec.InstanceId, default);
        await b.DiscardIncomingAsync(B, spec.InstanceId, default);
        Assert.False(Directory.Exists(Dir(B, spec.InstanceId)));
        Assert.Equal(VmPowerState.Shutoff, await a.GetPowerStateAsync(A, spec.InstanceId, default));

        endpoint = await b.PrepareIncomingAsync(new IncomingRequest(B, A, spec, MigrationType.Cold), default);
        await a.StartDiskCopyAsync(copy with { Incoming = endpoint }, default);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        DiskCopyStatus status;
        while ((status = await a.GetDiskCopyAsync(A, spec.InstanceId, default)).State == DiskCopyState.Copying && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.Equal(DiskCopyState.Synced, status.State);
        output.WriteLine($"cold copy: {status.TotalMiB:F1} MiB");
        await b.RegisterCopyAsync(B, spec, default);
        await b.RegisterCopyAsync(B, spec, default);                              // idempotent
        Assert.Equal(VmPowerState.Shutoff, await a.GetPowerStateAsync(A, spec.InstanceId, default));   // still the source's
        Assert.StartsWith("No errors were found on the image.", QemuLab.Run("qemu-img", "check", Path.Combine(Dir(B, spec.InstanceId), "disk.qcow2")));
        await b.ActivateIncomingAsync(B, spec.InstanceId, run: true, default);
        await a.ReleaseOutgoingAsync(A, spec.InstanceId, default);
        Assert.Equal(VmPowerState.Absent, await a.GetPowerStateAsync(A, spec.InstanceId, default));
        Assert.Equal(VmPowerState.Running, await b.GetPowerStateAsync(B, spec.InstanceId, default));
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(Serial(B, spec.InstanceId)).Last >= 1, "a heartbeat on the target");
        await b.DestroyAsync(B, spec.InstanceId, default);
    }

    [Fact]
    public async Task Storage_MirrorsTheRunningDiskIntoThePool_AndAfterThePivotTheGuestWritesThere()
    {
        lab.RequireQemu();
        var (a, _) = Agents();
        var spec = await RunningOnAAsync(a);
        var localDisk = Path.Combine(Dir(A, spec.InstanceId), "disk.qcow2");
        var request = new StorageMirrorRequest(A, spec, null, "fast", 512);
        await a.StartStorageMirrorAsync(request, default);
        await a.StartStorageMirrorAsync(request, default);                        // idempotent
        await WaitForMirrorAsync(a, spec.InstanceId);
        await a.PivotStorageMirrorAsync(A, spec.InstanceId, default);
        await a.PivotStorageMirrorAsync(A, spec.InstanceId, default);             // idempotent
        var pooled = Path.Combine(_root, "shared", "pools", "fast", $"{spec.InstanceId}.qcow2");
        Assert.True(File.Exists(pooled));
        Assert.False(File.Exists(localDisk));
        Assert.Equal(VmPowerState.Running, await a.GetPowerStateAsync(A, spec.InstanceId, default));

        // The guest writes "HB <n>" into its disk's first sector every second: it now lands in the pool's file.
        var beat = QemuLab.Heartbeats(Serial(A, spec.InstanceId)).Count;
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(Serial(A, spec.InstanceId)).Count >= beat + 2, "two more heartbeats");
        var sector = QemuLab.Run("qemu-io", "-U", "-r", "-f", "qcow2", "-c", "read -v 0 16", pooled);
        output.WriteLine(sector);
        Assert.Contains("HB", sector);
        await a.DestroyAsync(A, spec.InstanceId, default);
    }

    private static async Task WaitForMirrorAsync(QemuDriver driver, Guid id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        DiskCopyStatus status;
        while ((status = await driver.GetStorageMirrorAsync(A, id, default)).State == DiskCopyState.Copying && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.Equal(DiskCopyState.Synced, status.State);
    }

    public void Dispose()
    {
        QemuLab.KillStartedUnder(_root);          // a failed test may leave its VMs running: end them by their pid files
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
