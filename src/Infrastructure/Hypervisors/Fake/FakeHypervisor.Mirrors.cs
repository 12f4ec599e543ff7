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
            if (_mirrors.TryGetValue(id, out var existing) && existing.State != DiskCopyState.Failed)
            {
                if (existing.Request.TargetPool == r.TargetPool) return;
                throw new HypervisorException($"VM {id}'s disk is already being mirrored to pool '{existing.Request.TargetPool}'.", false);
            }
            var vm = VmOn(r.Host, id) ?? throw new HypervisorException($"No VM {id} exists on host '{r.Host.Name}'.", false);
            if (vm.Power != VmPowerState.Running)
                throw new HypervisorException($"VM {id} is {EnumWords.ToWord(vm.Power)}; a live storage migration mirrors a running VM's disk.", false);
            if (vm.Pool == r.TargetPool) throw new HypervisorException($"VM {id}'s disk already lives on pool '{r.TargetPool}'.", false);
            if (r.BandwidthMiBps <= 0) throw new HypervisorException("The mirror needs a positive bandwidth.", false);
            _mirrors[id] = new FakeCopy<StorageMirrorRequest>(r, WrittenDiskMiB(vm), _clock.GetTimestamp());
        }
    }

    internal DiskCopyStatus GetStorageMirror(HostRef host, Guid instanceId)
    {
        lock (_gate)
        {
            ThrowIfUnreachable(host.Id);
            if (!_mirrors.TryGetValue(instanceId, out var m) || m.Request.Host.Id != host.Id)
                return new DiskCopyStatus(DiskCopyState.Failed, 0, 0, $"No storage mirror of VM {instanceId} is known on its host (lost with a restart?).");
            if (m.State == DiskCopyState.Copying)
            {
                try
                {
                    ThrowIfFaulted(FakeOperation.CopyDisk, host.Id, instanceId);
                    var seconds = _clock.GetElapsedTime(m.StartedAt).TotalSeconds * Math.Max(0.001, _options.MigrationSpeedup);
                    m.CopiedMiB = Math.Min(m.TotalMiB, seconds * m.Request.BandwidthMiBps);
                    if (m.CopiedMiB >= m.TotalMiB) m.State = DiskCopyState.Synced;
                }
                catch (HypervisorException ex)
                {
                    m.State = DiskCopyState.Failed;
                    m.Error = ex.Message;
                }
            }
            return new DiskCopyStatus(m.State, m.CopiedMiB, m.TotalMiB, m.Error);
        }
    }

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
