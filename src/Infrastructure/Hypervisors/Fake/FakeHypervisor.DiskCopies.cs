using IaasApi.Domain.Hypervisors;

namespace IaasApi.Infrastructure.Hypervisors.Fake;

/// <summary>
/// Cold migration in the fake fleet: the written part of the disk (a quarter of the flavor's, as snapshots model it)
/// copied into what the target prepared, at the request's bandwidth against the clock (× <see cref="FakeDriverOptions.MigrationSpeedup"/>);
/// a disk on a shared pool is not copied. The VM stays the source's until the target activates it. A fault for
/// <see cref="FakeOperation.CopyDisk"/> fails the preparation, the start or the copy under way, one for
/// <see cref="FakeOperation.Register"/> the registration, one for <see cref="FakeOperation.Activate"/> the activation.
/// </summary>
public sealed partial class FakeHypervisor
{
    public FakeCopy<DiskCopyRequest>? DiskCopyOf(Guid instanceId) { lock (_gate) return _diskCopies.GetValueOrDefault(instanceId); }

    internal async Task StartDiskCopyAsync(DiskCopyRequest r, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            var id = r.Spec.InstanceId;
            ThrowIfFaulted(FakeOperation.CopyDisk, r.Source.Id, id);
            if (_diskCopies.TryGetValue(id, out var existing) && existing.State != DiskCopyState.Failed)
            {
                if (existing.Request.Target.Id == r.Target.Id && existing.Request.Source.Id == r.Source.Id) return;
                throw new HypervisorException($"VM {id}'s disks are already being copied to another host.", false);
            }
            if (r.Source.Id == r.Target.Id) throw new HypervisorException("The target is the VM's own host.", false);
            var vm = VmOn(r.Source, id) ?? throw new HypervisorException($"No VM {id} exists on the source host.", false);
            if (vm.Power != VmPowerState.Shutoff)
                throw new HypervisorException($"VM {id} is {EnumWords.ToWord(vm.Power)}; its disks are copied cold, shut off.", false);
            if (r.BandwidthMiBps <= 0) throw new HypervisorException("The copy needs a positive bandwidth.", false);
            if (IsMine(r.Target) && (!_incoming.TryGetValue(id, out var incoming) || incoming.Request.Target.Id != r.Target.Id
                                     || incoming.Endpoint.DiskUri != r.Incoming.DiskUri))
                throw new HypervisorException($"The target has not prepared for VM {id}'s disk ({r.Incoming.DiskUri ?? "no address"}).", false);
            // A disk on a shared pool is reachable from the target as it is: nothing to copy.
            var copy = new FakeCopy<DiskCopyRequest>(r, vm.Pool is null ? WrittenDiskMiB(vm) : 0, _clock.GetTimestamp());
            if (vm.Pool is not null) copy.State = DiskCopyState.Synced;
            _diskCopies[id] = copy;
        }
    }

    internal DiskCopyStatus GetDiskCopy(HostRef source, Guid instanceId)
    {
        lock (_gate)
        {
            ThrowIfUnreachable(source.Id);
            if (!_diskCopies.TryGetValue(instanceId, out var c) || c.Request.Source.Id != source.Id)
                return new DiskCopyStatus(DiskCopyState.Failed, 0, 0, $"No disk copy of VM {instanceId} is known on its source host (lost with a restart?).");
            Advance(c);
            return new DiskCopyStatus(c.State, c.CopiedMiB, c.TotalMiB, c.Error);
        }
    }

    internal async Task RegisterCopyAsync(HostRef target, InstanceSpec spec, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Register, target.Id, spec.InstanceId);
            if (!_incoming.TryGetValue(spec.InstanceId, out var incoming) || incoming.Request.Target.Id != target.Id)
            {
                if (VmOn(target, spec.InstanceId) is not null) return;            // registered and activated before
                throw new HypervisorException($"No copy of VM {spec.InstanceId}'s disks is on host '{target.Name}'.", false);
            }
            if (IsMine(incoming.Request.Source))
            {
                if (!_diskCopies.TryGetValue(spec.InstanceId, out var c) || c.Request.Target.Id != target.Id)
                    throw new HypervisorException($"No copy of VM {spec.InstanceId}'s disks reached host '{target.Name}'.", false);
                Advance(c);
                if (c.State != DiskCopyState.Synced) throw new HypervisorException($"The copy of VM {spec.InstanceId}'s disks is not complete.", false);
            }
            // (From another agent's source, the control plane registers only after that source reported the copy complete.)
            incoming.Registered = true;
        }
    }

    /// <summary>The copy's progress on the clock (× the speed-up); a fault injected for <see cref="FakeOperation.CopyDisk"/> fails it.</summary>
    private void Advance(FakeCopy<DiskCopyRequest> c)
    {
        if (c.State != DiskCopyState.Copying) return;
        try
        {
            ThrowIfFaulted(FakeOperation.CopyDisk, c.Request.Source.Id, c.Request.Spec.InstanceId);
        }
        catch (HypervisorException ex)
        {
            c.State = DiskCopyState.Failed;
            c.Error = ex.Message;
            return;
        }
        var seconds = _clock.GetElapsedTime(c.StartedAt).TotalSeconds * Math.Max(0.001, _options.MigrationSpeedup);
        c.CopiedMiB = Math.Min(c.TotalMiB, seconds * c.Request.BandwidthMiBps);
        if (c.CopiedMiB >= c.TotalMiB) c.State = DiskCopyState.Synced;
    }
}
