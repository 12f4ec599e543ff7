using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Infrastructure.Hypervisors.Qemu;

namespace IaasApi.Qemu.Tests;

/// <summary>
/// The qemu driver's life cycle against real QEMU: spawn from an image on the host (a qcow2 disk per VM), running with
/// its heartbeat, stop (QEMU gone, disk kept), start again, reboot, destroy (process and files gone); idempotent
/// calls; a missing image fails permanently and leaves nothing behind.
/// </summary>
public sealed class QemuDriverTests(QemuLab lab, ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("iaas-qemu-driver-").FullName;
    private static readonly HostRef Host = new(Guid.NewGuid(), "qemu-a", "qemu");

    private QemuDriver Driver() => lab.Driver(_root);

    private static InstanceSpec Spec(string image = "tiny") => new(Guid.NewGuid(), "vm", new Resources(1, 128, 1, 0), Guid.NewGuid(), image, null);

    private string VmDir(Guid id) => Path.Combine(_root, "state", Host.Name, id.ToString());

    [Fact]
    public async Task Spawn_Stop_Start_Reboot_Destroy_OnRealQemu()
    {
        lab.RequireQemu();
        var driver = Driver();
        Assert.True(await driver.PingAsync(Host, default));
        var inventory = await driver.GetInventoryAsync(Host, default);
        Assert.Equal(Environment.ProcessorCount, inventory!.Vcpus);
        Assert.True(inventory.MemoryMiB > 1024 && inventory.DiskGiB > 0);
        var spec = Spec();
        await driver.SpawnAsync(Host, spec, default);
        await driver.SpawnAsync(Host, spec, default);                             // idempotent
        Assert.Equal(VmPowerState.Running, await driver.GetPowerStateAsync(Host, spec.InstanceId, default));
        Assert.True(File.Exists(Path.Combine(VmDir(spec.InstanceId), "disk.qcow2")));
        var serial = Path.Combine(VmDir(spec.InstanceId), "serial.log");
        await QemuLab.WaitForAsync(() => File.Exists(serial) && File.ReadAllText(serial).Contains("HB 1"), "the first heartbeat");
        Assert.Equal([spec.InstanceId], (await driver.ListAsync(Host, default)).Select(v => v.InstanceId));

        await driver.SetPowerAsync(Host, spec.InstanceId, PowerAction.Stop, default);
        Assert.Equal(VmPowerState.Shutoff, await driver.GetPowerStateAsync(Host, spec.InstanceId, default));
        Assert.True(File.Exists(Path.Combine(VmDir(spec.InstanceId), "disk.qcow2")));   // the disk stays
        await Assert.ThrowsAsync<HypervisorException>(() => driver.SetPowerAsync(Host, spec.InstanceId, PowerAction.Reboot, default));

        await driver.SetPowerAsync(Host, spec.InstanceId, PowerAction.Start, default);
        Assert.Equal(VmPowerState.Running, await driver.GetPowerStateAsync(Host, spec.InstanceId, default));
        await QemuLab.WaitForAsync(() => File.ReadAllText(serial).Contains("HB 1"), "a heartbeat after the start");
        await driver.SetPowerAsync(Host, spec.InstanceId, PowerAction.Reboot, default);
        Assert.Equal(VmPowerState.Running, await driver.GetPowerStateAsync(Host, spec.InstanceId, default));

        await driver.DestroyAsync(Host, spec.InstanceId, default);
        await driver.DestroyAsync(Host, spec.InstanceId, default);                // destroying an absent VM succeeds
        Assert.Equal(VmPowerState.Absent, await driver.GetPowerStateAsync(Host, spec.InstanceId, default));
        Assert.False(Directory.Exists(VmDir(spec.InstanceId)));
        Assert.Empty(await driver.ListAsync(Host, default));
    }

    [Fact]
    public async Task Spawn_OfAnImageTheHostLacks_FailsPermanently_AndLeavesNothing()
    {
        lab.RequireQemu();
        var driver = Driver();
        var spec = Spec("no-such-image");
        var error = await Assert.ThrowsAsync<HypervisorException>(() => driver.SpawnAsync(Host, spec, default));
        Assert.False(error.IsTransient);
        output.WriteLine(error.Message);
        Assert.False(Directory.Exists(VmDir(spec.InstanceId)));
        await Assert.ThrowsAsync<HypervisorException>(() => driver.SnapshotAsync(Host, spec.InstanceId, "later", default));   // not built yet
    }

    [Fact]
    public async Task AnAgentRestart_LeavesItsVmsRunning_AndTheNextAgentTakesThemBackOver()
    {
        lab.RequireQemu();
        var first = Driver();
        var spec = Spec();
        await first.SpawnAsync(Host, spec, default);
        var serial = Path.Combine(VmDir(spec.InstanceId), "serial.log");
        await QemuLab.WaitForAsync(() => File.Exists(serial) && File.ReadAllText(serial).Contains("HB 1"), "the first heartbeat");
        await first.DisposeAsync();                                               // the agent stops; QEMU does not

        var next = Driver();
        Assert.Equal(VmPowerState.Running, await next.GetPowerStateAsync(Host, spec.InstanceId, default));
        Assert.Equal([spec.InstanceId], (await next.ListAsync(Host, default)).Select(v => v.InstanceId));
        await next.SpawnAsync(Host, spec, default);                               // already there: nothing happens
        await next.SetPowerAsync(Host, spec.InstanceId, PowerAction.Stop, default);
        Assert.Equal(VmPowerState.Shutoff, await next.GetPowerStateAsync(Host, spec.InstanceId, default));
        await next.SetPowerAsync(Host, spec.InstanceId, PowerAction.Start, default);
        await next.DisposeAsync();
        var third = Driver();
        await third.DestroyAsync(Host, spec.InstanceId, default);                 // adopted, then ended
        Assert.False(Directory.Exists(VmDir(spec.InstanceId)));
    }


    public void Dispose()
    {
        QemuLab.KillStartedUnder(_root);          // a failed test may leave its VMs running: end them by their pid files
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
