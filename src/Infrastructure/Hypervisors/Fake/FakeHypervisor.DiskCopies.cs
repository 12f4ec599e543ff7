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
            if (AlreadyStarted(_diskCopies, id, e => e.Target.Id == r.Target.Id && e.Source.Id == r.Source.Id,
                               _ => $"VM {id}'s disks are already being copied to another host.")) return;
            if (r.Source.Id == r.Target.Id) throw new HypervisorException("The target is the VM's own host.", false);
            var vm = VmOn(r.Source, id) ?? throw new HypervisorException($"No VM {id} exists on the source host.", false);
            if (vm.Power != VmPowerState.Shutoff)
                throw new HypervisorException($"VM {id} is {EnumWords.ToWord(vm.Power)}; its disks are copied cold, shut off.", false);
            if (r.BandwidthMiBps <= 0) throw new HypervisorException("The copy needs a positive bandwidth.", false);
            if (IsMine(r.Target) && (!_incoming.TryGetValue(id, out var incoming) || incoming.Request.Target.Id != r.Target.Id
                                     || incoming.Endpoint.DiskUri != r.Incoming.DiskUri))
                throw new HypervisorException($"The target has not prepared for VM {id}'s disk ({r.Incoming.DiskUri ?? "no address"}).", false);
            // A disk on a shared pool is reachable from the target as it is: nothing to copy.
            var copy = new FakeCopy<DiskCopyRequest>(r, vm.Pool is null ? WrittenDiskMiB(vm) : 0, r.BandwidthMiBps, _clock.GetTimestamp());
            if (vm.Pool is not null) copy.State = DiskCopyState.Synced;
            _diskCopies[id] = copy;
        }
    }

    internal DiskCopyStatus GetDiskCopy(HostRef source, Guid instanceId) =>
        StatusOf(_diskCopies, source, instanceId, r => r.Source.Id, "disk copy");

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
                Advance(c, c.Request.Source.Id, spec.InstanceId);
                if (c.State != DiskCopyState.Synced) throw new HypervisorException($"The copy of VM {spec.InstanceId}'s disks is not complete.", false);
            }
            // (From another agent's source, the control plane registers only after that source reported the copy complete.)
            incoming.Registered = true;
        }
    }

    /// <summary>
    /// True when this very copy is under way already (a retried start answers as the first did); another copy of the
    /// same VM's disk under way is refused. A failed copy is replaced.
    /// </summary>
    private static bool AlreadyStarted<TRequest>(Dictionary<Guid, FakeCopy<TRequest>> copies, Guid instanceId, Func<TRequest, bool> same,
                                                 Func<TRequest, string> refusal)
    {
        if (!copies.TryGetValue(instanceId, out var existing) || existing.State == DiskCopyState.Failed) return false;
        return same(existing.Request) ? true : throw new HypervisorException(refusal(existing.Request), false);
    }

    /// <summary>A copy's status as the host that streams it reports it: failed when that host knows no such copy.</summary>
    private DiskCopyStatus StatusOf<TRequest>(Dictionary<Guid, FakeCopy<TRequest>> copies, HostRef host, Guid instanceId,
                                              Func<TRequest, Guid> streamer, string what)
    {
        lock (_gate)
        {
            ThrowIfUnreachable(host.Id);
            if (!copies.TryGetValue(instanceId, out var c) || streamer(c.Request) != host.Id)
                return new DiskCopyStatus(DiskCopyState.Failed, 0, 0, $"No {what} of VM {instanceId} is known on host '{host.Name}' (lost with a restart?).");
            Advance(c, host.Id, instanceId);
            return new DiskCopyStatus(c.State, c.CopiedMiB, c.TotalMiB, c.Error);
        }
    }

    /// <summary>
    /// A copy's progress on the clock (× the speed-up), a disk copy's or a storage mirror's; a fault injected for
    /// <see cref="FakeOperation.CopyDisk"/> on the host that streams it fails it.
    /// </summary>
    private void Advance<TRequest>(FakeCopy<TRequest> c, Guid streamingHostId, Guid instanceId)
    {
        if (c.State != DiskCopyState.Copying) return;
        try
        {
            ThrowIfFaulted(FakeOperation.CopyDisk, streamingHostId, instanceId);
        }
        catch (HypervisorException ex)
        {
            c.State = DiskCopyState.Failed;
            c.Error = ex.Message;
            return;
        }
        var seconds = _clock.GetElapsedTime(c.StartedAt).TotalSeconds * Math.Max(0.001, _options.MigrationSpeedup);
        c.CopiedMiB = Math.Min(c.TotalMiB, seconds * c.BandwidthMiBps);
        if (c.CopiedMiB >= c.TotalMiB) c.State = DiskCopyState.Synced;
    }
}
