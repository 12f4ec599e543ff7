using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Infrastructure.Hypervisors.Qemu;

namespace IaasApi.Qemu.Tests;

/// <summary>
/// Saving real VMs off their host (QEMU, TCG): a suspended (preempted) VM's memory and disk go to the shared save
/// store and it comes back on another host where it left off — its heartbeat counter carries on, no reboot; an image
/// captured from a running VM is a template a new VM boots from.
/// </summary>
public sealed class QemuSaveTests(QemuLab lab, ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("iaas-qemu-save-").FullName;
    private static readonly HostRef A = new(Guid.NewGuid(), "qemu-a", "qemu");
    private static readonly HostRef B = new(Guid.NewGuid(), "qemu-b", "qemu");

    private string Serial(string agent, HostRef host, Guid id) => Path.Combine(_root, agent, "state", host.Name, id.ToString(), "serial.log");

    [Fact]
    public async Task ASuspendedVm_IsSavedOffItsHost_AndResumesOnAnotherWhereItLeftOff_AndACapturedImageBoots()
    {
        lab.RequireQemu();
        var shared = Path.Combine(_root, "shared");
        var a = lab.Driver(Path.Combine(_root, "a"), shared: shared);
        var b = lab.Driver(Path.Combine(_root, "b"), shared: shared);
        var spec = new InstanceSpec(Guid.NewGuid(), "vm", new Resources(1, 128, 1, 0), Guid.NewGuid(), "tiny", null);
        await a.SpawnAsync(A, spec, default);
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(Serial("a", A, spec.InstanceId)).Last >= 3, "HB 3");

        // An image of the running VM: a template with its disk, kernel and command line.
        var size = await a.SnapshotAsync(A, spec.InstanceId, "tiny-captured", default);
        Assert.Equal(size, await a.SnapshotAsync(A, spec.InstanceId, "tiny-captured", default));   // idempotent
        Assert.True(File.Exists(Path.Combine(_root, "a", "images", "tiny-captured", "disk.qcow2")));
        Assert.Contains("HB", QemuLab.Run("qemu-io", "-r", "-f", "qcow2", "-c", "read -v 0 16", Path.Combine(_root, "a", "images", "tiny-captured", "disk.qcow2")));

        var last = QemuLab.Heartbeats(Serial("a", A, spec.InstanceId)).Last;       // at least this far when it is paused
        await a.SuspendAsync(A, spec.InstanceId, default);
        await a.SuspendAsync(A, spec.InstanceId, default);                         // idempotent
        Assert.Equal(VmPowerState.Suspended, await a.GetPowerStateAsync(A, spec.InstanceId, default));
        Assert.Empty(await a.ListAsync(A, default));                              // off the host: nothing runs there
        Assert.True(File.Exists(Path.Combine(shared, "saved", spec.InstanceId.ToString(), "suspended", "memory.state")));

        await b.ResumeAsync(B, spec, default);
        await b.ResumeAsync(B, spec, default);                                    // idempotent
        Assert.Equal(VmPowerState.Running, await b.GetPowerStateAsync(B, spec.InstanceId, default));
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(Serial("b", B, spec.InstanceId)).Last > last, "a heartbeat after the resume");
        var resumed = QemuLab.Heartbeats(Serial("b", B, spec.InstanceId));
        output.WriteLine($"suspended at HB {last}; on the other host the guest went on from HB {resumed.Last - resumed.Count + 1}");
        Assert.True(resumed.Last - resumed.Count + 1 > last);                      // it carried on counting: restored, not rebooted
        Assert.False(Directory.Exists(Path.Combine(shared, "saved", spec.InstanceId.ToString(), "suspended")));
        await b.DestroyAsync(B, spec.InstanceId, default);

        // A new VM from the captured image boots on its host.
        var clone = new InstanceSpec(Guid.NewGuid(), "clone", new Resources(1, 128, 1, 0), Guid.NewGuid(), "tiny-captured", null);
        await a.SpawnAsync(A, clone, default);
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(Serial("a", A, clone.InstanceId)).Last >= 1, "the clone's first heartbeat");
        await a.DestroyAsync(A, clone.InstanceId, default);
    }

    [Fact]
    public async Task ASnapshotWithMemory_TakenWhileTheGuestRuns_RestoresItToThatInstant()
    {
        lab.RequireQemu();
        var a = lab.Driver(Path.Combine(_root, "a"), shared: Path.Combine(_root, "shared"));
        var spec = new InstanceSpec(Guid.NewGuid(), "vm", new Resources(1, 128, 1, 0), Guid.NewGuid(), "tiny", null);
        var serial = Serial("a", A, spec.InstanceId);
        await a.SpawnAsync(A, spec, default);
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(serial).Last >= 2, "HB 2");
        var snapshot = Guid.NewGuid();
        var size = await a.SaveSnapshotAsync(A, spec.InstanceId, snapshot, withMemory: true, default);
        var taken = QemuLab.Heartbeats(serial).Last;                                // the guest runs on after the snapshot
        Assert.Equal(size, await a.SaveSnapshotAsync(A, spec.InstanceId, snapshot, withMemory: true, default));   // idempotent
        Assert.Equal(VmPowerState.Running, await a.GetPowerStateAsync(A, spec.InstanceId, default));
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(serial).Last >= taken + 3, "three more heartbeats");
        var before = QemuLab.Heartbeats(serial).Last;

        await a.RestoreSnapshotAsync(A, spec, snapshot, default);
        Assert.Equal(VmPowerState.Running, await a.GetPowerStateAsync(A, spec.InstanceId, default));
        await QemuLab.WaitForAsync(() => QemuLab.Heartbeats(serial).Count >= 1, "a heartbeat after the restore");
        var after = QemuLab.Heartbeats(serial);
        output.WriteLine($"snapshot {size} MiB at about HB {taken}; HB {before} before the restore, HB {after.Last} just after it");
        Assert.True(after.Last <= taken + 1 && after.Last < before);               // back in time: the counter of the snapshot's instant
        await a.DeleteSnapshotAsync(A, spec.InstanceId, snapshot, default);
        await a.DeleteSnapshotAsync(A, spec.InstanceId, snapshot, default);        // idempotent
        Assert.False(Directory.Exists(Path.Combine(_root, "shared", "saved", spec.InstanceId.ToString(), snapshot.ToString())));
        await Assert.ThrowsAsync<HypervisorException>(() => a.RestoreSnapshotAsync(A, spec, snapshot, default));
        await a.DestroyAsync(A, spec.InstanceId, default);
    }

    public void Dispose()
    {
        QemuLab.KillStartedUnder(_root);
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
