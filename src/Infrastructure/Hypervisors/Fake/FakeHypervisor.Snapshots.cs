using IaasApi.Domain.Hypervisors;

namespace IaasApi.Infrastructure.Hypervisors.Fake;

/// <summary>An instance snapshot the fake fleet keeps (in its shared store): the disk's written part, and the memory if saved.</summary>
public sealed record FakeInstanceSnapshot(Guid InstanceId, Guid SnapshotId, bool WithMemory, int SizeMiB, DateTimeOffset TakenAt);

/// <summary>
/// Instance snapshots in the fake fleet: taken from a VM on its host (the memory only from a running one), restored on
/// whichever host the VM is on now (it runs afterwards), deleted. The disk's written part is a quarter of the flavor's,
/// as elsewhere in the model. A fault for <see cref="FakeOperation.Snapshot"/> fails the save, one for
/// <see cref="FakeOperation.Restore"/> the restore.
/// </summary>
public sealed partial class FakeHypervisor
{
    private readonly Dictionary<(Guid Instance, Guid Snapshot), FakeInstanceSnapshot> _instanceSnapshots = [];

    public FakeInstanceSnapshot? InstanceSnapshot(Guid instanceId, Guid snapshotId)
    {
        lock (_gate) return _instanceSnapshots.GetValueOrDefault((instanceId, snapshotId));
    }

    internal async Task<int> SaveSnapshotAsync(HostRef host, Guid instanceId, Guid snapshotId, bool withMemory, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Snapshot, host.Id, instanceId);
            if (_instanceSnapshots.TryGetValue((instanceId, snapshotId), out var taken)) return taken.SizeMiB;
            var vm = VmOn(host, instanceId) ?? throw new HypervisorException($"No VM {instanceId} exists on host '{host.Name}'.", false);
            if (withMemory && vm.Power != VmPowerState.Running)
                throw new HypervisorException($"VM {instanceId} is {EnumWords.ToWord(vm.Power)}: it has no memory to save.", false);
            var size = WrittenDiskMiB(vm) + (withMemory ? vm.Resources.MemoryMiB : 0);
            _instanceSnapshots[(instanceId, snapshotId)] = new FakeInstanceSnapshot(instanceId, snapshotId, withMemory, size, _clock.GetUtcNow());
            return size;
        }
    }

    internal async Task RestoreSnapshotAsync(HostRef host, InstanceSpec spec, Guid snapshotId, CancellationToken ct)
    {
        await Delay(_options.SpawnMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Restore, host.Id, spec.InstanceId);
            if (!_instanceSnapshots.ContainsKey((spec.InstanceId, snapshotId)))
                throw new HypervisorException($"VM {spec.InstanceId} has no snapshot {snapshotId}.", false);
            var vm = VmOn(host, spec.InstanceId) ?? throw new HypervisorException($"No VM {spec.InstanceId} exists on host '{host.Name}'.", false);
            _vms[spec.InstanceId] = vm with { Power = VmPowerState.Running };
            Save();
        }
    }

    internal async Task DeleteSnapshotAsync(HostRef host, Guid instanceId, Guid snapshotId, CancellationToken ct)
    {
        await Delay(_options.DestroyMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfUnreachable(host.Id);
            _instanceSnapshots.Remove((instanceId, snapshotId));
        }
    }
}
