using IaasApi.Domain.Hypervisors;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Hypervisors.Fake;
using Microsoft.Extensions.Time.Testing;

namespace IaasApi.Api.Tests;

/// <summary>The registry hands out roles: a driver's capabilities are the roles it implements, and a missing role fails for good.</summary>
public sealed class HypervisorDriversTests
{
    private readonly HypervisorDrivers _drivers = new([
        new FakeHypervisorDriver(new FakeHypervisor(new FakeDriverOptions(), new FakeTimeProvider())),
        new LifeCycleOnlyDriver(),
    ]);

    [Fact]
    public void Capabilities_FollowTheRolesADriverImplements_WhenNoneAreDeclared()
    {
        Assert.Equal(new DriverCapabilities(PowerControl: true, LiveMigration: true, ColdMigration: true, Snapshots: true), _drivers.CapabilitiesOf("fake"));
        Assert.Equal(new DriverCapabilities(PowerControl: true, LiveMigration: false, ColdMigration: false, Snapshots: false), _drivers.CapabilitiesOf("bare"));
        Assert.Null(_drivers.CapabilitiesOf("qemu"));
    }

    [Fact]
    public void For_ThrowsAPermanentHypervisorException_WhenTheDriverLacksTheRole()
    {
        Assert.IsType<FakeHypervisorDriver>(_drivers.For<ILiveMigrationDriver>("fake"));
        Assert.IsType<LifeCycleOnlyDriver>(_drivers.For("bare"));

        var missing = Assert.Throws<HypervisorException>(() => _drivers.For<ISnapshotDriver>("bare"));
        Assert.False(missing.IsTransient);
        Assert.Contains(nameof(ISnapshotDriver), missing.Message);
        Assert.False(Assert.Throws<HypervisorException>(() => _drivers.For<ISnapshotDriver>("qemu")).IsTransient);
    }

    /// <summary>A driver with the life cycle and no other role (never called: only its type matters).</summary>
    private sealed class LifeCycleOnlyDriver : IHypervisorDriver
    {
        public string Kind => "bare";
        public Task SpawnAsync(HostRef host, InstanceSpec spec, CancellationToken ct) => throw new NotSupportedException();
        public Task DestroyAsync(HostRef host, Guid instanceId, CancellationToken ct) => throw new NotSupportedException();
        public Task DeletePooledDiskAsync(HostRef host, InstanceSpec spec, CancellationToken ct) => throw new NotSupportedException();
        public Task SetPowerAsync(HostRef host, Guid instanceId, PowerAction action, CancellationToken ct) => throw new NotSupportedException();
        public Task<VmPowerState> GetPowerStateAsync(HostRef host, Guid instanceId, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<VmInfo>> ListAsync(HostRef host, CancellationToken ct) => throw new NotSupportedException();
        public Task<bool> PingAsync(HostRef host, CancellationToken ct) => throw new NotSupportedException();
        public Task<HostInventory?> GetInventoryAsync(HostRef host, CancellationToken ct) => throw new NotSupportedException();
        public Task SetHostPowerAsync(HostRef host, bool on, CancellationToken ct) => throw new NotSupportedException();
        public Task SuspendAsync(HostRef host, Guid instanceId, CancellationToken ct) => throw new NotSupportedException();
        public Task ResumeAsync(HostRef host, InstanceSpec spec, CancellationToken ct) => throw new NotSupportedException();
    }
}
