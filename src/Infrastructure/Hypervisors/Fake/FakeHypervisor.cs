using System.Text.Json;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;

namespace IaasApi.Infrastructure.Hypervisors.Fake;

public sealed class FakeDriverOptions
{
    public int SpawnMilliseconds { get; set; } = 200;
    public int DestroyMilliseconds { get; set; } = 50;
    public int PowerMilliseconds { get; set; } = 50;
    /// <summary>Where VM state survives a restart (embedded mode); in memory only when null.</summary>
    public string? StateFile { get; set; }
    /// <summary>
    /// How much faster than real time simulated migrations run (1 = the model's real durations). Migrations are kept
    /// in memory only: a restart loses them, as a crashed QEMU would, and the VM stays on its source.
    /// </summary>
    public double MigrationSpeedup { get; set; } = 1;
    /// <summary>How long a powered-off fake host takes to boot when it is powered on.</summary>
    public int HostBootMilliseconds { get; set; } = 2000;
    /// <summary>
    /// Fake hosts are served by their own agents (src/Workers with <c>Iaas:Workers:Hosts</c>), as qemu hosts are: their
    /// work goes to <c>h-&lt;name&gt;</c> and each agent's model holds only its own hosts' VMs (persist them with
    /// <see cref="StateFile"/>, one per agent, so a killed agent finds them again). For fault campaigns in the production
    /// layout. Process-wide; set it the same in every process of the cloud.
    /// </summary>
    public bool RunsOnHosts { get; set; }
    /// <summary>With <see cref="RunsOnHosts"/>: the names of the hosts this process is the agent of (the rest are other agents').</summary>
    public IReadOnlyList<string> OwnHosts { get; set; } = [];
}

public enum FakeOperation { Any, Spawn, Destroy, Power, Suspend, Resume, Snapshot, Migrate, Activate, CopyDisk, Register, Restore }

/// <summary>A scripted failure: the next <see cref="Remaining"/> matching calls fail.</summary>
public sealed record FakeFault(Guid Id, FakeOperation Operation, Guid? HostId, Guid? InstanceId, bool Transient, int Remaining,
                               string Message);

/// <summary>
/// A VM as the fake fleet holds it. A suspended VM is saved off any host (<see cref="HostId"/> is empty). Its disk
/// lives on <see cref="Pool"/> (null: the host's local disk).
/// </summary>
public sealed record FakeVm(Guid InstanceId, Guid HostId, string Name, VmPowerState Power, Resources Resources, DateTimeOffset CreatedAt,
                            string? Pool = null);

/// <summary>A disk snapshot the fake fleet took (the image store).</summary>
public sealed record FakeSnapshot(string ImageName, Guid InstanceId, int SizeMiB, DateTimeOffset TakenAt);

/// <summary>
/// An honest model of a fleet of hypervisors: it remembers which VMs exist on which host and their power state,
/// takes time like a real one, fails when told to, and refuses what a real hypervisor would refuse (powering a VM
/// that is not on that host, creating one VM on two hosts). State is shared by every fake host of the process; when
/// fake hosts run on their own agents (<see cref="FakeDriverOptions.RunsOnHosts"/>) each agent's model holds its own
/// hosts, and a move between agents meets each side only in its own model, as two real hosts would: the target
/// trusts what arrived on the endpoint it prepared, the source lets go of its copy when told the move is done.
/// </summary>
public sealed partial class FakeHypervisor
{
    /// <summary>The VM's disk as written so far: the model takes a quarter of the flavor's disk (at least 1 MiB).</summary>
    private static int WrittenDiskMiB(FakeVm vm) => Math.Max(1, vm.Resources.DiskGiB * 1024 / 4);

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, FakeVm> _vms = [];          // by instance id: a VM lives on exactly one host
    private readonly List<FakeFault> _faults = [];
    private readonly List<FakeSnapshot> _snapshots = [];
    private readonly Dictionary<Guid, FakeMigration> _migrations = [];
    private readonly Dictionary<Guid, FakeCopy<DiskCopyRequest>> _diskCopies = [];
    private readonly Dictionary<Guid, FakeIncoming> _incoming = [];          // by instance id: what a target prepared
    private readonly Dictionary<Guid, Guid> _leftovers = [];                 // moved VMs' source copies, until released
    private readonly Dictionary<Guid, FakeCopy<StorageMirrorRequest>> _mirrors = [];
    private readonly Dictionary<Guid, GuestMemory> _guestMemory = [];
    private readonly HashSet<Guid> _silenced = [];                // hosts whose agent cannot be reached (crash, partition)
    private readonly HashSet<Guid> _everSilenced = [];
    private readonly List<FakeVm> _zombies = [];                  // stale copies left on a host that was cut off
    private readonly HashSet<Guid> _poweredOff = [];
    private readonly FakeDriverOptions _options;
    private readonly TimeProvider _clock;

    private readonly HashSet<string> _ownHosts;

    public FakeHypervisor(FakeDriverOptions options, TimeProvider clock)
    {
        _options = options;
        _clock = clock;
        _ownHosts = options.OwnHosts.ToHashSet(StringComparer.Ordinal);
        Load();
    }

    /// <summary>Whether this process's model holds <paramref name="host"/> (always, unless fake hosts run on their own agents).</summary>
    private bool IsMine(HostRef host) => !_options.RunsOnHosts || _ownHosts.Contains(host.Name);

    public FakeDriverOptions Options => _options;

    /// <summary>How many spawn calls found the VM already there (re-entrant jobs make these harmless).</summary>
    public int RepeatedSpawns { get; private set; }

    public FakeFault InjectFault(FakeOperation operation, Guid? hostId, Guid? instanceId, bool transient, int count, string? message)
    {
        var fault = new FakeFault(Ids.New(), operation, hostId, instanceId, transient, Math.Max(1, count),
            message ?? $"Injected {(transient ? "transient" : "permanent")} {EnumWords.ToWord(operation)} failure.");
        lock (_gate) _faults.Add(fault);
        return fault;
    }

    public IReadOnlyList<FakeFault> Faults() { lock (_gate) return _faults.ToArray(); }

    public bool RemoveFault(Guid id) { lock (_gate) return _faults.RemoveAll(f => f.Id == id) > 0; }

    public void ClearFaults() { lock (_gate) _faults.Clear(); }

    /// <summary>Every VM on the host, the stale copies a cut-off host still runs included.</summary>
    public IReadOnlyList<FakeVm> VmsOn(Guid hostId)
    {
        lock (_gate) return _vms.Values.Where(v => v.HostId == hostId).Concat(_zombies.Where(z => z.HostId == hostId)).ToArray();
    }

    /// <summary>Stale copies: VMs still running on a host that was cut off while they were restarted elsewhere.</summary>
    public IReadOnlyList<FakeVm> Zombies() { lock (_gate) return _zombies.ToArray(); }

    /// <summary>
    /// Cuts the host off (a crashed agent, a network partition): it stops answering pings and every driver call to it
    /// fails as unreachable, while the VMs on it keep running — unseen — until it is heard from again.
    /// </summary>
    public void Silence(Guid hostId, bool silent)
    {
        lock (_gate)
        {
            if (!silent) { _silenced.Remove(hostId); return; }
            _silenced.Add(hostId);
            _everSilenced.Add(hostId);
        }
    }

    public bool IsSilenced(Guid hostId) { lock (_gate) return _silenced.Contains(hostId); }

    public bool IsPoweredOff(Guid hostId) { lock (_gate) return _poweredOff.Contains(hostId); }

    internal bool Ping(HostRef host) { lock (_gate) return !_silenced.Contains(host.Id) && !_poweredOff.Contains(host.Id); }

    internal async Task SetHostPowerAsync(HostRef host, bool on, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_silenced.Contains(host.Id)) throw new HypervisorException("The host's management interface does not answer.", isTransient: true);
            if (on && !_poweredOff.Contains(host.Id)) return;
            if (!on)
            {
                if (_vms.Values.Any(v => v.HostId == host.Id) || _zombies.Any(z => z.HostId == host.Id))
                    throw new HypervisorException($"Host '{host.Name}' still runs VMs; it is not powered off.", false);
                _poweredOff.Add(host.Id);
                return;
            }
        }
        await Delay(_options.HostBootMilliseconds, ct);                        // booting
        lock (_gate) _poweredOff.Remove(host.Id);
    }

    public FakeVm? Find(Guid instanceId) { lock (_gate) return _vms.GetValueOrDefault(instanceId); }

    public IReadOnlyList<FakeSnapshot> Snapshots() { lock (_gate) return _snapshots.ToArray(); }

    /// <summary>How the guest uses its memory (what pre-copy has to chase); an idle guest unless set.</summary>
    public void SetGuestMemory(Guid instanceId, GuestMemory memory) { lock (_gate) _guestMemory[instanceId] = memory; }

    /// <summary>The guest's memory behaviour, for a VM on <paramref name="host"/>.</summary>
    public GuestMemory GuestMemoryOn(HostRef host, Guid instanceId)
    {
        lock (_gate)
        {
            var vm = VmOn(host, instanceId) ?? throw new HypervisorException($"No VM {instanceId} exists on host '{host.Name}'.", false);
            return GuestOf(vm);
        }
    }

    /// <summary>The guest's memory behaviour as set, else an idle guest of its size. Caller holds the gate.</summary>
    private GuestMemory GuestOf(FakeVm vm) => _guestMemory.GetValueOrDefault(vm.InstanceId, GuestMemory.Idle(vm.Resources.MemoryMiB));

    public FakeMigration? MigrationOf(Guid instanceId) { lock (_gate) return _migrations.GetValueOrDefault(instanceId); }

    /// <summary>A VM's power changes without the control plane asking (the guest shut itself down; someone started it by hand).</summary>
    public void SetPowerOutOfBand(Guid instanceId, VmPowerState power)
    {
        lock (_gate)
        {
            if (_vms.TryGetValue(instanceId, out var vm)) _vms[instanceId] = vm with { Power = power };
            Save();
        }
    }

    /// <summary>A VM disappears without the control plane asking (a reinstalled host, a hand-run undefine).</summary>
    public Task DestroyOutOfBandAsync(Guid instanceId)
    {
        lock (_gate)
        {
            if (_vms.Remove(instanceId)) Save();
        }
        return Task.CompletedTask;
    }

    internal async Task SpawnAsync(HostRef host, InstanceSpec spec, CancellationToken ct)
    {
        await Delay(_options.SpawnMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Spawn, host.Id, spec.InstanceId);
            LeaveStaleCopy(host, spec.InstanceId);
            if (_vms.TryGetValue(spec.InstanceId, out var existing))
            {
                if (existing.HostId != host.Id)
                    throw new HypervisorException(
                        $"Instance {spec.InstanceId} already exists on another host; refusing to create it twice.", false);
                RepeatedSpawns++;
                return;
            }
            _vms[spec.InstanceId] = new FakeVm(spec.InstanceId, host.Id, spec.Name, VmPowerState.Running, spec.Resources, _clock.GetUtcNow());
            Save();
        }
    }

    internal async Task DestroyAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        await Delay(_options.DestroyMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Destroy, host.Id, instanceId);
            // Fencing: a stale copy on this host goes; the VM's real copy elsewhere is untouched.
            if (_zombies.RemoveAll(z => z.InstanceId == instanceId && z.HostId == host.Id) > 0) return;
            // A saved (suspended) VM is on no host: destroying it anywhere discards the saved state.
            if (_vms.TryGetValue(instanceId, out var vm) && (vm.HostId == host.Id || vm.Power == VmPowerState.Suspended))
            {
                _vms.Remove(instanceId);
                Save();
            }
        }
    }

    internal async Task SetPowerAsync(HostRef host, Guid instanceId, PowerAction action, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Power, host.Id, instanceId);
            var vm = VmOn(host, instanceId)
                     ?? throw new HypervisorException($"No VM {instanceId} exists on its host.", false);
            var power = action switch
            {
                PowerAction.Start => VmPowerState.Running,
                PowerAction.Stop => VmPowerState.Shutoff,
                PowerAction.Reboot when vm.Power == VmPowerState.Running => VmPowerState.Running,
                PowerAction.Reboot => throw new HypervisorException($"VM {instanceId} is shut off; it cannot be rebooted.", false),
                _ => throw new ArgumentOutOfRangeException(nameof(action)),
            };
            _vms[instanceId] = vm with { Power = power };
            Save();
        }
    }

    internal async Task SuspendAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Suspend, host.Id, instanceId);
            if (_vms.TryGetValue(instanceId, out var saved) && saved.Power == VmPowerState.Suspended) return;
            // Nothing runs here (it was never built, or is gone): nothing to save, and nothing left on the host.
            if (VmOn(host, instanceId) is not { } vm) return;
            _vms[instanceId] = vm with { HostId = Guid.Empty, Power = VmPowerState.Suspended };
            Save();
        }
    }

    internal async Task ResumeAsync(HostRef host, InstanceSpec spec, CancellationToken ct)
    {
        await Delay(_options.SpawnMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Resume, host.Id, spec.InstanceId);
            LeaveStaleCopy(host, spec.InstanceId);
            if (VmOn(host, spec.InstanceId) is { Power: VmPowerState.Running }) return;
            if (!_vms.TryGetValue(spec.InstanceId, out var vm))
            {
                // Preempted before it was ever built: nothing was saved, so it is created now.
                _vms[spec.InstanceId] = new FakeVm(spec.InstanceId, host.Id, spec.Name, VmPowerState.Running, spec.Resources, _clock.GetUtcNow());
            }
            else if (vm.Power == VmPowerState.Suspended)
            {
                _vms[spec.InstanceId] = vm with { HostId = host.Id, Power = VmPowerState.Running };
            }
            else
            {
                throw new HypervisorException($"VM {spec.InstanceId} is running on another host; it cannot be resumed here.", false);
            }
            Save();
        }
    }

    internal async Task<int> SnapshotAsync(HostRef host, Guid instanceId, string imageName, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Snapshot, host.Id, instanceId);
            var vm = VmOn(host, instanceId) ?? throw new HypervisorException($"No VM {instanceId} exists on its host.", false);
            var existing = _snapshots.FirstOrDefault(x => x.InstanceId == instanceId && x.ImageName == imageName);
            if (existing is not null) return existing.SizeMiB;
            var size = WrittenDiskMiB(vm);
            _snapshots.Add(new FakeSnapshot(imageName, instanceId, size, _clock.GetUtcNow()));
            return size;
        }
    }

    internal VmPowerState PowerOf(HostRef host, Guid instanceId)
    {
        lock (_gate)
        {
            ThrowIfUnreachable(host.Id);
            return VmOn(host, instanceId)?.Power ?? VmPowerState.Absent;
        }
    }

    internal IReadOnlyList<VmInfo> List(HostRef host)
    {
        lock (_gate)
        {
            ThrowIfUnreachable(host.Id);
            return _vms.Values.Where(v => v.HostId == host.Id).Concat(_zombies.Where(z => z.HostId == host.Id))
                .Select(v => new VmInfo(v.InstanceId, v.Power, v.Resources)).ToList();
        }
    }

    /// <summary>
    /// The VM is being (re)started on <paramref name="host"/> while its copy sits on a host that was cut off (the
    /// control plane evacuated it): that copy keeps running there, unseen, as a stale copy until the host is fenced.
    /// A copy on a host that was never cut off still refuses a second one. Caller holds the gate.
    /// </summary>
    private void LeaveStaleCopy(HostRef host, Guid instanceId)
    {
        if (!_vms.TryGetValue(instanceId, out var vm) || vm.HostId == host.Id || vm.HostId == Guid.Empty || !_everSilenced.Contains(vm.HostId)) return;
        _zombies.Add(vm);
        _vms.Remove(instanceId);
    }

    private void ThrowIfUnreachable(Guid hostId)
    {
        if (_silenced.Contains(hostId)) throw new HypervisorException("The host does not answer (its agent is unreachable).", isTransient: true);
        if (_poweredOff.Contains(hostId)) throw new HypervisorException("The host is powered off (or still booting).", isTransient: true);
    }

    private FakeVm? VmOn(HostRef host, Guid instanceId) =>
        _vms.TryGetValue(instanceId, out var vm) && vm.HostId == host.Id ? vm : null;

    private void ThrowIfFaulted(FakeOperation operation, Guid hostId, Guid instanceId)
    {
        ThrowIfUnreachable(hostId);
        var index = _faults.FindIndex(f => (f.Operation == FakeOperation.Any || f.Operation == operation)
                                           && (f.HostId is null || f.HostId == hostId)
                                           && (f.InstanceId is null || f.InstanceId == instanceId));
        if (index < 0) return;
        var fault = _faults[index];
        if (fault.Remaining <= 1) _faults.RemoveAt(index);
        else _faults[index] = fault with { Remaining = fault.Remaining - 1 };
        throw new HypervisorException(fault.Message, fault.Transient);
    }

    private static Task Delay(int milliseconds, CancellationToken ct) =>
        milliseconds > 0 ? Task.Delay(milliseconds, ct) : Task.CompletedTask;

    private void Load()
    {
        if (_options.StateFile is not { } path || !File.Exists(path)) return;
        var vms = JsonSerializer.Deserialize<List<FakeVm>>(File.ReadAllText(path)) ?? [];
        foreach (var vm in vms) _vms[vm.InstanceId] = vm;
    }

    private void Save()
    {
        if (_options.StateFile is not { } path) return;
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(_vms.Values.ToList()));
        File.Move(temp, path, overwrite: true);
    }
}
