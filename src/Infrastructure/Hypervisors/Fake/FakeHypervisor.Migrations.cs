using IaasApi.Domain.Common;
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
/// Live migration in the fake fleet: the pre-copy model (<see cref="PreCopySimulation"/>) played against the clock
/// (× <see cref="FakeDriverOptions.MigrationSpeedup"/>), rounds appearing as their simulated time passes. The VM stays
/// on the source until activation; a fault injected for <see cref="FakeOperation.Migrate"/> fails the next round (or
/// the start), one for <see cref="FakeOperation.Activate"/> fails the activation.
/// </summary>
public sealed partial class FakeHypervisor
{
    internal async Task StartLiveMigrationAsync(LiveMigrationRequest r, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            var id = r.Spec.InstanceId;
            ThrowIfFaulted(FakeOperation.Migrate, r.Source.Id, id);
            if (_migrations.TryGetValue(id, out var running) && running.State is LiveMigrationState.Active or LiveMigrationState.Switched)
            {
                if (running.Request.Target.Id == r.Target.Id && running.Request.Source.Id == r.Source.Id) return;
                throw new HypervisorException($"VM {id} is already migrating to another host.", false);
            }
            if (r.Source.Id == r.Target.Id) throw new HypervisorException("The target is the VM's own host.", false);
            var vm = VmOn(r.Source, id) ?? throw new HypervisorException($"No VM {id} exists on the source host.", false);
            if (vm.Power != VmPowerState.Running)
                throw new HypervisorException($"VM {id} is {EnumWords.ToWord(vm.Power)}; only a running VM migrates live.", false);
            var simulation = new PreCopySimulation(GuestOf(vm), new MigrationLink(r.BandwidthMiBps),
                new ConvergencePolicy(r.MaxDowntimeMs, r.TimeoutSecondsPerGiB, r.Escalation, r.MaxRounds));
            _migrations[id] = new FakeMigration(r, simulation, _clock.GetTimestamp());
        }
    }

    internal LiveMigrationStatus GetLiveMigration(HostRef source, Guid instanceId)
    {
        lock (_gate)
        {
            ThrowIfUnreachable(source.Id);
            if (!_migrations.TryGetValue(instanceId, out var m) || m.Request.Source.Id != source.Id)
                return new LiveMigrationStatus(LiveMigrationState.Failed, [], 0, 0, 0, 0, null, null,
                    $"No live migration of VM {instanceId} is known on its source host (lost with a restart?).");
            Advance(m);
            return StatusOf(m);
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

    internal async Task AbortLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfUnreachable(source.Id);
            if (!_migrations.TryGetValue(instanceId, out var m) || m.Request.Source.Id != source.Id) return;
            if (m.State is LiveMigrationState.Active or LiveMigrationState.Switched)
            {
                m.Simulation.Abort("Cancelled.");
                m.State = LiveMigrationState.Cancelled;        // the source copy never stopped being the VM
            }
        }
    }

    internal async Task ActivateMigratedAsync(HostRef source, HostRef target, Guid instanceId, CancellationToken ct)
    {
        await Delay(_options.PowerMilliseconds, ct);
        lock (_gate)
        {
            ThrowIfFaulted(FakeOperation.Activate, target.Id, instanceId);
            if (VmOn(target, instanceId) is not null) return;                   // activated before
            if (!_migrations.TryGetValue(instanceId, out var m) || m.State != LiveMigrationState.Switched || m.Request.Target.Id != target.Id)
                throw new HypervisorException($"VM {instanceId} has not switched over to the target; nothing to activate.", false);
            var vm = VmOn(source, instanceId) ?? throw new HypervisorException($"VM {instanceId} is gone from its source.", false);
            _vms[instanceId] = vm with { HostId = target.Id, Power = VmPowerState.Running };
            _migrations.Remove(instanceId);
            Save();
        }
    }

    /// <summary>Plays the rounds whose simulated end has passed on the real clock (× the speed-up).</summary>
    private void Advance(FakeMigration m)
    {
        if (m.State != LiveMigrationState.Active) return;
        var due = _clock.GetElapsedTime(m.StartedAt).TotalMilliseconds * Math.Max(0.001, _options.MigrationSpeedup);
        var sim = m.Simulation;
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
        m.State = result.Switched ? LiveMigrationState.Switched : LiveMigrationState.Failed;
        if (!result.Switched) m.Error = result.Detail;
    }

    private static LiveMigrationStatus StatusOf(FakeMigration m)
    {
        var sim = m.Simulation;
        return new LiveMigrationStatus(m.State, sim.Rounds.ToList(), sim.TransferredMiB, sim.RemainingMiB, sim.Throttle, sim.ExpectedDowntimeMs,
            sim.Result?.Outcome, sim.Result is { Switched: true } r ? r.DowntimeMs : null, m.Error);
    }
}
