using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;

namespace IaasApi.Infrastructure.Hypervisors.Fake;

/// <summary>A live migration the fake fleet runs: the pre-copy model played against the real clock.</summary>
public sealed class FakeMigration(LiveMigrationRequest request, PreCopySimulation simulation, long startedAt)
{
    public LiveMigrationRequest Request { get; } = request;
    public PreCopySimulation Simulation { get; } = simulation;
    public long StartedAt { get; } = startedAt;
    public LiveMigrationState State { get; set; } = LiveMigrationState.Active;
    public string? Error { get; set; }
}

/// <summary>
/// What a target host of the fake fleet prepared for a VM about to arrive (live: a paused VM waiting for its memory;
/// cold: a place for its disk), and how far the arrival got.
/// </summary>
public sealed class FakeIncoming(IncomingRequest request, IncomingEndpoint endpoint)
{
    public IncomingRequest Request { get; } = request;
    public IncomingEndpoint Endpoint { get; } = endpoint;
    /// <summary>Cold: the VM is defined on the target from its copied disk (shut off).</summary>
    public bool Registered { get; set; }
}

/// <summary>
/// Moving VMs in the fake fleet, one host per call as a real agent sees it. The target prepares (an endpoint the
/// source must send to: starting without one is refused, as QEMU refuses a connection nobody listens for); the source
/// plays the pre-copy model (<see cref="PreCopySimulation"/>) against the clock (× <see cref="FakeDriverOptions.MigrationSpeedup"/>),
/// rounds appearing as their simulated time passes; activation on the target makes the VM the target's (the source
/// keeps a paused leftover until it releases it). A fault injected for <see cref="FakeOperation.Migrate"/> fails the
/// preparation, the start or the next round; one for <see cref="FakeOperation.Activate"/> fails the activation.
/// </summary>
public sealed partial class FakeHypervisor
{
    internal async Task<IncomingEndpoint> PrepareIncomingAsync(IncomingRequest r, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            var id = r.Spec.InstanceId;
            ThrowIfFaulted(r.Type == MigrationType.Cold ? FakeOperation.CopyDisk : FakeOperation.Migrate, r.Target.Id, id);
            if (r.Source.Id == r.Target.Id) throw new HypervisorException("The target is the VM's own host.", false);
            if (_incoming.TryGetValue(id, out var prepared))
            {
                if (prepared.Request.Target.Id == r.Target.Id && prepared.Request.Type == r.Type) return prepared.Endpoint;
                throw new HypervisorException($"VM {id} is already arriving at another host.", false);
            }
            if (VmOn(r.Target, id) is not null) throw new HypervisorException($"VM {id} already exists on host '{r.Target.Name}'.", false);
            var disk = r.Spec.Pool is null ? $"fake://{r.Target.Name}/{id}/disk" : null;
            var endpoint = new IncomingEndpoint(r.Type == MigrationType.Live ? $"fake://{r.Target.Name}/{id}/memory" : null, disk);
            _incoming[id] = new FakeIncoming(r, endpoint);
            return endpoint;
        }
    }

    internal async Task StartLiveMigrationAsync(LiveMigrationRequest r, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            var id = r.Spec.InstanceId;
            ThrowIfFaulted(FakeOperation.Migrate, r.Source.Id, id);
            if (_migrations.TryGetValue(id, out var running) && running.State is LiveMigrationState.Active or LiveMigrationState.PostCopy or LiveMigrationState.Switched)
            {
                if (running.Request.Target.Id == r.Target.Id && running.Request.Source.Id == r.Source.Id) return;
                throw new HypervisorException($"VM {id} is already migrating to another host.", false);
            }
            if (r.Source.Id == r.Target.Id) throw new HypervisorException("The target is the VM's own host.", false);
            var vm = VmOn(r.Source, id) ?? throw new HypervisorException($"No VM {id} exists on the source host.", false);
            if (vm.Power != VmPowerState.Running)
                throw new HypervisorException($"VM {id} is {EnumWords.ToWord(vm.Power)}; only a running VM migrates live.", false);
            // A target of this model must have prepared; another agent's answers on the address it handed out.
            if (r.Incoming.MigrationUri is null || (IsMine(r.Target) && (!_incoming.TryGetValue(id, out var incoming)
                    || incoming.Request.Target.Id != r.Target.Id || incoming.Endpoint.MigrationUri != r.Incoming.MigrationUri)))
                throw new HypervisorException($"Nothing listens at {r.Incoming.MigrationUri ?? "(no address)"}: the target has not prepared for VM {id}.", false);
            var simulation = new PreCopySimulation(GuestOf(vm), new MigrationLink(r.BandwidthMiBps),
                new ConvergencePolicy(r.MaxDowntimeMs, r.TimeoutSecondsPerGiB, r.Escalation, r.MaxRounds));
            _migrations[id] = new FakeMigration(r, simulation, _clock.GetTimestamp());
        }
    }

    /// <summary>Plays the rounds that are due (a fault injected for <see cref="FakeOperation.Migrate"/> fails the next one), then reports.</summary>
    internal LiveMigrationStatus AdvanceLiveMigration(HostRef source, Guid instanceId) => LiveMigrationOn(source, instanceId, advance: true);

    /// <summary>
    /// Where the migration stood at its last advance: its state and rounds as they were, the bytes of the round under way
    /// as sent by now (QEMU's counters move while it sends too). Changes nothing.
    /// </summary>
    internal LiveMigrationStatus GetLiveMigration(HostRef source, Guid instanceId) => LiveMigrationOn(source, instanceId, advance: false);

    private LiveMigrationStatus LiveMigrationOn(HostRef source, Guid instanceId, bool advance)
    {
        lock (_gate)
        {
            ThrowIfUnreachable(source.Id);
            if (!_migrations.TryGetValue(instanceId, out var m) || m.Request.Source.Id != source.Id)
                return new LiveMigrationStatus(LiveMigrationState.Failed, [], 0, 0, 0, 0, null, null,
                    $"No live migration of VM {instanceId} is known on its source host (lost with a restart?).");
            if (advance) Advance(m);
            return StatusOf(m, DueMs(m));
        }
    }

    internal async Task ForceCompleteLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfUnreachable(source.Id);
            if (!_migrations.TryGetValue(instanceId, out var m) || m.Request.Source.Id != source.Id)
                throw new HypervisorException($"No live migration of VM {instanceId} is running.", false);
            Advance(m);
            if (m.State != LiveMigrationState.Active) return;
            m.Simulation.ForceComplete();
            m.State = LiveMigrationState.Switched;
        }
    }

    /// <summary>Waits until the next round of the simulation (or post-copy's pull) is due (or the timeout), on the real clock scaled by the speed-up.</summary>
    internal Task WaitForLiveMigrationAsync(HostRef source, Guid instanceId, TimeSpan timeout, CancellationToken ct)
    {
        var wait = timeout;
        lock (_gate)
        {
            if (_migrations.TryGetValue(instanceId, out var m) && m.Request.Source.Id == source.Id
                && m.State is LiveMigrationState.Active or LiveMigrationState.PostCopy)
            {
                var sim = m.Simulation;
                var dueMs = m.State == LiveMigrationState.PostCopy ? sim.Result!.TotalMs : sim.ElapsedMs + sim.RemainingMiB / m.Request.BandwidthMiBps * 1000;
                var nowMs = _clock.GetElapsedTime(m.StartedAt).TotalMilliseconds * Math.Max(0.001, _options.MigrationSpeedup);
                var untilDue = TimeSpan.FromMilliseconds(Math.Max(1, (dueMs - nowMs) / Math.Max(0.001, _options.MigrationSpeedup)));
                if (untilDue < wait) wait = untilDue;
            }
        }
        return Task.Delay(wait, ct);
    }

    /// <summary>Source: pre-copy (or the disk copy) stops; a switched guest resumes here.</summary>
    internal async Task CancelOutgoingAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfUnreachable(source.Id);
            if (_migrations.TryGetValue(instanceId, out var m) && m.Request.Source.Id == source.Id)
            {
                if (m.State is LiveMigrationState.Active or LiveMigrationState.Switched) m.Simulation.Abort("Cancelled.");
                _migrations.Remove(instanceId);                   // the source copy never stopped being the VM
            }
            if (_diskCopies.TryGetValue(instanceId, out var c) && c.Request.Source.Id == source.Id) _diskCopies.Remove(instanceId);
        }
    }

    /// <summary>Target: what was prepared or received goes; a VM that is this host's already (activated) is left alone.</summary>
    internal async Task DiscardIncomingAsync(HostRef target, Guid instanceId, CancellationToken ct)
    {
        await Delay(_options.DestroyMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfUnreachable(target.Id);
            if (_incoming.TryGetValue(instanceId, out var incoming) && incoming.Request.Target.Id == target.Id) _incoming.Remove(instanceId);
        }
    }

    /// <summary>Target, after the commitment: live — the switched guest runs here; cold — the registered copy is the VM (started if asked).</summary>
    internal async Task ActivateIncomingAsync(HostRef target, Guid instanceId, bool run, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Activate, target.Id, instanceId);
            if (VmOn(target, instanceId) is { } here)
            {
                if (run && here.Power != VmPowerState.Running) _vms[instanceId] = here with { Power = VmPowerState.Running };
                Save();
                return;                                                           // activated before
            }
            if (!_incoming.TryGetValue(instanceId, out var incoming) || incoming.Request.Target.Id != target.Id)
                throw new HypervisorException($"Nothing arrived for VM {instanceId} on host '{target.Name}'; nothing to activate.", false);
            var source = incoming.Request.Source;
            if (!IsMine(source))
            {
                // The source is another agent's: what arrived is the guest the control plane committed here.
                if (incoming.Request.Type == MigrationType.Cold && !incoming.Registered)
                    throw new HypervisorException($"VM {instanceId} is not registered on host '{target.Name}'; nothing to activate.", false);
                var spec = incoming.Request.Spec;
                _vms[instanceId] = new FakeVm(instanceId, target.Id, spec.Name,
                    incoming.Request.Type == MigrationType.Live || run ? VmPowerState.Running : VmPowerState.Shutoff, spec.Resources, _clock.GetUtcNow(), spec.Pool);
                _incoming.Remove(instanceId);
                Save();
                return;
            }
            var vm = VmOn(source, instanceId) ?? throw new HypervisorException($"VM {instanceId} is gone from its source.", false);
            if (incoming.Request.Type == MigrationType.Live)
            {
                if (!_migrations.TryGetValue(instanceId, out var m) || m.State != LiveMigrationState.Switched || m.Request.Target.Id != target.Id)
                    throw new HypervisorException($"VM {instanceId} has not switched over to host '{target.Name}'; nothing to activate.", false);
                _vms[instanceId] = vm with { HostId = target.Id, Power = VmPowerState.Running };
                _migrations.Remove(instanceId);
            }
            else
            {
                if (!incoming.Registered) throw new HypervisorException($"VM {instanceId} is not registered on host '{target.Name}'; nothing to activate.", false);
                _vms[instanceId] = vm with { HostId = target.Id, Power = run ? VmPowerState.Running : VmPowerState.Shutoff };
                _diskCopies.Remove(instanceId);
            }
            _incoming.Remove(instanceId);
            _leftovers[instanceId] = source.Id;                                   // the source's paused copy, until released
            Save();
        }
    }

    /// <summary>Source, after the commitment: its leftover copy (paused guest, definition, local disk) goes.</summary>
    internal async Task ReleaseOutgoingAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        await Delay(_options.DestroyMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfUnreachable(source.Id);
            if (_leftovers.TryGetValue(instanceId, out var host) && host == source.Id) _leftovers.Remove(instanceId);
            else if (VmOn(source, instanceId) is not null && MovedToAnotherAgent(instanceId))
            {
                // Moved to another agent's host (committed; activated there): this copy goes.
                _vms.Remove(instanceId);
                _migrations.Remove(instanceId);
                _diskCopies.Remove(instanceId);
                Save();
            }
        }
    }

    /// <summary>
    /// Whether the VM's move (as this source knows it; after a restart it knows none) went to a host of another agent's
    /// model: only then is its release this model's to do without the target's activation (a local target activates first).
    /// </summary>
    private bool MovedToAnotherAgent(Guid instanceId) =>
        _options.RunsOnHosts && (_migrations.TryGetValue(instanceId, out var m) ? !IsMine(m.Request.Target)
                                 : !_diskCopies.TryGetValue(instanceId, out var c) || !IsMine(c.Request.Target));

    /// <summary>Whether the source still holds a copy of a moved VM (activated on its target, not yet released).</summary>
    public bool HasLeftover(Guid hostId, Guid instanceId) { lock (_gate) return _leftovers.TryGetValue(instanceId, out var h) && h == hostId; }

    /// <summary>Whether a target prepared for (or received) the VM and has not discarded or activated it.</summary>
    public bool IsIncoming(Guid hostId, Guid instanceId) { lock (_gate) return _incoming.TryGetValue(instanceId, out var i) && i.Request.Target.Id == hostId; }

    /// <summary>The simulated time of the migration now: the real clock since its start, × the speed-up.</summary>
    private double DueMs(FakeMigration m) => _clock.GetElapsedTime(m.StartedAt).TotalMilliseconds * Math.Max(0.001, _options.MigrationSpeedup);

    /// <summary>
    /// Plays the rounds whose simulated end has passed on the real clock (× the speed-up); after a switch to post-copy,
    /// the pull, which ends at the simulation's total time.
    /// </summary>
    private void Advance(FakeMigration m)
    {
        var due = DueMs(m);
        var sim = m.Simulation;
        if (m.State == LiveMigrationState.PostCopy)
        {
            if (due >= sim.Result!.TotalMs) m.State = LiveMigrationState.Switched;
            return;
        }
        if (m.State != LiveMigrationState.Active) return;
        while (!sim.Finished && sim.ElapsedMs + sim.RemainingMiB / m.Request.BandwidthMiBps * 1000 <= due)
        {
            try
            {
                ThrowIfFaulted(FakeOperation.Migrate, m.Request.Source.Id, m.Request.Spec.InstanceId);
            }
            catch (HypervisorException ex)
            {
                sim.Abort(ex.Message);
                m.State = LiveMigrationState.Failed;
                m.Error = ex.Message;
                return;
            }
            sim.Step();
        }
        if (sim.Result is not { } result) return;
        m.State = !result.Switched ? LiveMigrationState.Failed
            : result.Outcome == PreCopyOutcome.PostCopy && due < result.TotalMs ? LiveMigrationState.PostCopy
            : LiveMigrationState.Switched;
        if (!result.Switched) m.Error = result.Detail;
    }

    /// <summary>
    /// Where it stands; within a round, the part of it sent by now (as QEMU's counters move while it sends); during
    /// post-copy, the part pulled by now. The total time is known once it is over.
    /// </summary>
    private static LiveMigrationStatus StatusOf(FakeMigration m, double dueMs = 0)
    {
        var sim = m.Simulation;
        if (m.State == LiveMigrationState.PostCopy && sim.Result is { } pulling)
        {
            var pulled = Math.Clamp((dueMs - pulling.SwitchedAtMs) / 1000 * m.Request.BandwidthMiBps, 0, pulling.PulledMiB);
            return new LiveMigrationStatus(m.State, sim.Rounds.ToList(), pulling.TransferredMiB - pulling.PulledMiB + pulled, pulling.PulledMiB - pulled,
                sim.Throttle, 0, pulling.Outcome, pulling.DowntimeMs, null);
        }
        var inRound = m.State == LiveMigrationState.Active ? Math.Clamp((dueMs - sim.ElapsedMs) / 1000 * m.Request.BandwidthMiBps, 0, sim.RemainingMiB) : 0;
        return new LiveMigrationStatus(m.State, sim.Rounds.ToList(), sim.TransferredMiB + inRound, sim.RemainingMiB - inRound, sim.Throttle,
            sim.ExpectedDowntimeMs, sim.Result?.Outcome, sim.Result is { Switched: true } r ? r.DowntimeMs : null, m.Error,
            TotalMs: m.State == LiveMigrationState.Switched ? sim.Result?.TotalMs : null);
    }
}
