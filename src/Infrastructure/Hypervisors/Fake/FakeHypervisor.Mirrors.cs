using IaasApi.Domain.Hypervisors;

namespace IaasApi.Infrastructure.Hypervisors.Fake;

/// <summary>
/// Live storage migration in the fake fleet: the written part of the disk (a quarter of the flavor's) copied to the
/// target pool at the request's bandwidth against the clock (× <see cref="FakeDriverOptions.MigrationSpeedup"/>) while
/// the VM keeps running on its source disk; then the mirror is in sync (writes go to both) until the pivot moves the VM
/// onto the copy. A fault for <see cref="FakeOperation.CopyDisk"/> fails the start or the copy under way, one for
/// <see cref="FakeOperation.Activate"/> the pivot.
/// </summary>
public sealed partial class FakeHypervisor
{
    public FakeCopy<StorageMirrorRequest>? MirrorOf(Guid instanceId) { lock (_gate) return _mirrors.GetValueOrDefault(instanceId); }

    internal async Task StartStorageMirrorAsync(StorageMirrorRequest r, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            var id = r.Spec.InstanceId;
            ThrowIfFaulted(FakeOperation.CopyDisk, r.Host.Id, id);
            if (AlreadyStarted(_mirrors, id, e => e.TargetPool == r.TargetPool,
                               e => $"VM {id}'s disk is already being mirrored to pool '{e.TargetPool}'.")) return;
            var vm = VmOn(r.Host, id) ?? throw new HypervisorException($"No VM {id} exists on host '{r.Host.Name}'.", false);
            if (vm.Power != VmPowerState.Running)
                throw new HypervisorException($"VM {id} is {EnumWords.ToWord(vm.Power)}; a live storage migration mirrors a running VM's disk.", false);
            if (vm.Pool == r.TargetPool) throw new HypervisorException($"VM {id}'s disk already lives on pool '{r.TargetPool}'.", false);
            if (r.BandwidthMiBps <= 0) throw new HypervisorException("The mirror needs a positive bandwidth.", false);
            _mirrors[id] = new FakeCopy<StorageMirrorRequest>(r, WrittenDiskMiB(vm), r.BandwidthMiBps, _clock.GetTimestamp());
        }
    }

    internal DiskCopyStatus GetStorageMirror(HostRef host, Guid instanceId) =>
        StatusOf(_mirrors, host, instanceId, r => r.Host.Id, "storage mirror");

    internal async Task PivotStorageMirrorAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Activate, host.Id, instanceId);
            var vm = VmOn(host, instanceId) ?? throw new HypervisorException($"No VM {instanceId} exists on host '{host.Name}'.", false);
            if (!_mirrors.TryGetValue(instanceId, out var m))
            {
                if (vm.Pool is not null) return;                               // pivoted before
                throw new HypervisorException($"No storage mirror of VM {instanceId} is known on its host.", false);
            }
            if (m.State != DiskCopyState.Synced) throw new HypervisorException($"The mirror of VM {instanceId}'s disk is not in sync yet.", false);
            _vms[instanceId] = vm with { Pool = m.Request.TargetPool };
            _mirrors.Remove(instanceId);
            Save();
        }
    }

    internal async Task AbortStorageMirrorAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfUnreachable(host.Id);
            if (_mirrors.TryGetValue(instanceId, out var m) && m.Request.Host.Id == host.Id) _mirrors.Remove(instanceId);
        }
    }
}
