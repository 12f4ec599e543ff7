using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;
using IaasApi.Infrastructure.Hypervisors.Fake;
using Microsoft.Extensions.Time.Testing;

namespace IaasApi.Api.Tests;

/// <summary>
/// The fake driver's live migration, driver to model (no database), one host per call as the hosts' agents make them:
/// the target prepares (a start without its endpoint is refused), rounds appear as the clock passes, the VM stays on
/// the source until the target activates it, and every way to end — converge, stall, fault, cancel, force — leaves it
/// in one place.
/// </summary>
public sealed class FakeDriverMigrationTests
{
    private static readonly HostRef Source = new(Guid.NewGuid(), "src", "fake");
    private static readonly HostRef Target = new(Guid.NewGuid(), "dst", "fake");
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly FakeHypervisor _fleet;
    private readonly FakeHypervisorDriver _driver;

    public FakeDriverMigrationTests()
    {
        _fleet = new FakeHypervisor(new FakeDriverOptions { SpawnMilliseconds = 0, DestroyMilliseconds = 0, PowerMilliseconds = 0 }, _clock);
        _driver = new FakeHypervisorDriver(_fleet);
    }

    private async Task<InstanceSpec> RunningVmAsync(int memoryMiB = 128)
    {
        var spec = new InstanceSpec(Guid.NewGuid(), "vm", new Resources(1, memoryMiB, 10, 0), null, null, null);
        await _driver.SpawnAsync(Source, spec, CancellationToken.None);
        return spec;
    }

    private LiveMigrationRequest Request(InstanceSpec spec, double bandwidth = 128, ConvergenceEscalation escalation = ConvergenceEscalation.Abort,
                                         HostRef? target = null) =>
        new(Source, target ?? Target, spec, Endpoint(spec, target ?? Target), bandwidth, 300, escalation, 30, 60);

    /// <summary>The target prepares (idempotent): where the source must send.</summary>
    private IncomingEndpoint Endpoint(InstanceSpec spec, HostRef target, MigrationType type = MigrationType.Live) =>
        target.Id == Source.Id ? new IncomingEndpoint("fake://nowhere", null)
            : _driver.PrepareIncomingAsync(new IncomingRequest(target, Source, spec, type), CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>What the control plane's poll loop does each turn: moves the migration on, then reads where it stands.</summary>
    private Task<LiveMigrationStatus> StatusAsync(InstanceSpec spec) => _driver.AdvanceLiveMigrationAsync(Source, spec.InstanceId, CancellationToken.None);

    [Fact]
    public async Task IdleVm_SwitchesOverWhenItsRoundHasHadTime_AndRunsOnTheTargetOnlyAfterActivation()
    {
        var spec = await RunningVmAsync();
        await _driver.StartLiveMigrationAsync(Request(spec), CancellationToken.None);
        await _driver.StartLiveMigrationAsync(Request(spec), CancellationToken.None);   // idempotent

        var early = await StatusAsync(spec);
        Assert.Equal((LiveMigrationState.Active, 0), (early.State, early.Rounds.Count));
        _clock.Advance(TimeSpan.FromMilliseconds(600));                           // 64 MiB at 128 MiB/s = 500 ms
        var switched = await StatusAsync(spec);
        Assert.Equal((LiveMigrationState.Switched, PreCopyOutcome.Converged), (switched.State, switched.Outcome));
        Assert.InRange(switched.DowntimeMs!.Value, 20, 30);
        Assert.Equal(Source.Id, _fleet.Find(spec.InstanceId)!.HostId);            // switched, not yet committed: still the source's

        await _driver.ActivateIncomingAsync(Target, spec.InstanceId, run: true, CancellationToken.None);
        await _driver.ActivateIncomingAsync(Target, spec.InstanceId, run: true, CancellationToken.None);   // idempotent
        Assert.Equal((Target.Id, VmPowerState.Running), (_fleet.Find(spec.InstanceId)!.HostId, _fleet.Find(spec.InstanceId)!.Power));
        Assert.Empty(_fleet.VmsOn(Source.Id));
        Assert.True(_fleet.HasLeftover(Source.Id, spec.InstanceId));            // the source's paused copy, until it lets go
        await _driver.ReleaseOutgoingAsync(Source, spec.InstanceId, CancellationToken.None);
        await _driver.ReleaseOutgoingAsync(Source, spec.InstanceId, CancellationToken.None);        // idempotent
        Assert.False(_fleet.HasLeftover(Source.Id, spec.InstanceId));
    }

    [Fact]
    public async Task GetLiveMigration_LeavesItWhereTheLastAdvanceDid_WhenRoundsAreDue()
    {
        var spec = await RunningVmAsync();
        await _driver.StartLiveMigrationAsync(Request(spec), CancellationToken.None);
        _clock.Advance(TimeSpan.FromMilliseconds(600));                           // the first round is due

        var read = await _driver.GetLiveMigrationAsync(Source, spec.InstanceId, CancellationToken.None);
        var readAgain = await _driver.GetLiveMigrationAsync(Source, spec.InstanceId, CancellationToken.None);
        Assert.Equal((LiveMigrationState.Active, 0), (read.State, read.Rounds.Count));
        Assert.Equal((LiveMigrationState.Active, 0), (readAgain.State, readAgain.Rounds.Count));

        var advanced = await StatusAsync(spec);
        Assert.Equal(LiveMigrationState.Switched, advanced.State);
        Assert.Equal(LiveMigrationState.Switched, (await _driver.GetLiveMigrationAsync(Source, spec.InstanceId, CancellationToken.None)).State);
    }

    [Fact]
    public async Task AGuestDirtyingFasterThanTheLink_Stalls_AndStaysOnTheSource()
    {
        var spec = await RunningVmAsync(512);
        _fleet.SetGuestMemory(spec.InstanceId, new GuestMemory(512, 330, 128, 130));
        await _driver.StartLiveMigrationAsync(Request(spec), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(10));
        var status = await StatusAsync(spec);
        Assert.Equal(LiveMigrationState.Failed, status.State);
        Assert.Contains("stalled", status.Error);
        Assert.Equal(2, status.Rounds.Count);
        Assert.Equal((Source.Id, VmPowerState.Running), (_fleet.Find(spec.InstanceId)!.HostId, _fleet.Find(spec.InstanceId)!.Power));
        await Assert.ThrowsAsync<HypervisorException>(() => _driver.ActivateIncomingAsync(Target, spec.InstanceId, run: true, CancellationToken.None));
    }

    [Fact]
    public async Task AFaultDuringPreCopy_FailsTheNextRound_AndTheVmKeepsRunningOnTheSource()
    {
        var spec = await RunningVmAsync(8192);
        _fleet.SetGuestMemory(spec.InstanceId, new GuestMemory(8192, 1024, 8192, 102.4));   // shrinks by a fifth per round
        await _driver.StartLiveMigrationAsync(Request(spec), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(9));                                  // 8 s round 1, 6.4 s round 2: one round done
        Assert.Single((await StatusAsync(spec)).Rounds);
        _fleet.InjectFault(FakeOperation.Migrate, Source.Id, spec.InstanceId, transient: false, 1, "link down");
        _clock.Advance(TimeSpan.FromSeconds(10));
        var status = await StatusAsync(spec);
        Assert.Equal((LiveMigrationState.Failed, "link down"), (status.State, status.Error));
        Assert.Equal((Source.Id, VmPowerState.Running), (_fleet.Find(spec.InstanceId)!.HostId, _fleet.Find(spec.InstanceId)!.Power));
    }

    [Fact]
    public async Task ACancelAfterTheSwitchOver_ResumesTheSource_AndForceCompleteSwitchesAStalledOne()
    {
        var idle = await RunningVmAsync();
        await _driver.StartLiveMigrationAsync(Request(idle), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(LiveMigrationState.Switched, (await StatusAsync(idle)).State);
        await _driver.CancelOutgoingAsync(Source, idle.InstanceId, CancellationToken.None);   // the commit failed
        await _driver.CancelOutgoingAsync(Source, idle.InstanceId, CancellationToken.None);   // idempotent
        await _driver.DiscardIncomingAsync(Target, idle.InstanceId, CancellationToken.None);
        await _driver.DiscardIncomingAsync(Target, idle.InstanceId, CancellationToken.None);  // idempotent
        Assert.Equal(LiveMigrationState.Failed, (await StatusAsync(idle)).State);               // nothing under way any more
        Assert.False(_fleet.IsIncoming(Target.Id, idle.InstanceId));
        await Assert.ThrowsAsync<HypervisorException>(() => _driver.ActivateIncomingAsync(Target, idle.InstanceId, run: true, CancellationToken.None));
        Assert.Equal((Source.Id, VmPowerState.Running), (_fleet.Find(idle.InstanceId)!.HostId, _fleet.Find(idle.InstanceId)!.Power));

        var busy = await RunningVmAsync(512);
        _fleet.SetGuestMemory(busy.InstanceId, new GuestMemory(512, 330, 128, 130));
        await _driver.StartLiveMigrationAsync(Request(busy, bandwidth: 32), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(11));                                 // round 1 (10.3 s) done, round 2 running
        await _driver.ForceCompleteLiveMigrationAsync(Source, busy.InstanceId, CancellationToken.None);
        var forced = await StatusAsync(busy);
        Assert.Equal((LiveMigrationState.Switched, PreCopyOutcome.ForceCompleted), (forced.State, forced.Outcome));
        Assert.InRange(forced.DowntimeMs!.Value, 4000, 4100);                     // 128 MiB at 32 MiB/s + switch-over
    }

    [Fact]
    public async Task ImpossibleMigrations_AreRefused()
    {
        var spec = await RunningVmAsync();
        var unprepared = new LiveMigrationRequest(Source, Target, spec, new IncomingEndpoint("fake://dst/elsewhere/memory", null), 128, 300,
                                                  ConvergenceEscalation.Abort, 30, 60);
        var nobody = await Assert.ThrowsAsync<HypervisorException>(() => _driver.StartLiveMigrationAsync(unprepared, CancellationToken.None));
        Assert.Contains("has not prepared", nobody.Message);
        var absent = spec with { InstanceId = Guid.NewGuid() };
        await Assert.ThrowsAsync<HypervisorException>(() => _driver.StartLiveMigrationAsync(Request(absent), CancellationToken.None));
        await Assert.ThrowsAsync<HypervisorException>(() => _driver.StartLiveMigrationAsync(Request(spec, target: Source), CancellationToken.None));
        await _driver.SetPowerAsync(Source, spec.InstanceId, PowerAction.Stop, CancellationToken.None);
        var stopped = await Assert.ThrowsAsync<HypervisorException>(() => _driver.StartLiveMigrationAsync(Request(spec), CancellationToken.None));
        Assert.Contains("shutoff", stopped.Message);
        await _driver.SetPowerAsync(Source, spec.InstanceId, PowerAction.Start, CancellationToken.None);
        await _driver.StartLiveMigrationAsync(Request(spec), CancellationToken.None);
        var elsewhere = new HostRef(Guid.NewGuid(), "third", "fake");
        await Assert.ThrowsAsync<HypervisorException>(() => _driver.StartLiveMigrationAsync(Request(spec, target: elsewhere), CancellationToken.None));
        Assert.Equal(LiveMigrationState.Failed, (await _driver.GetLiveMigrationAsync(Target, spec.InstanceId, CancellationToken.None)).State);
    }

    [Fact]
    public async Task DiskCopy_RefusesARunningVm_ProgressesWithTheClock_AndTheVmMovesOnlyWhenActivated()
    {
        var spec = await RunningVmAsync();                                        // 10 GiB disk: 2,560 MiB written
        var copy = new DiskCopyRequest(Source, Target, spec, Endpoint(spec, Target, MigrationType.Cold), 256);
        var refused = await Assert.ThrowsAsync<HypervisorException>(() => _driver.StartDiskCopyAsync(copy, CancellationToken.None));
        Assert.Contains("shut off", refused.Message);

        await _driver.SetPowerAsync(Source, spec.InstanceId, PowerAction.Stop, CancellationToken.None);
        await _driver.StartDiskCopyAsync(copy, CancellationToken.None);
        await _driver.StartDiskCopyAsync(copy, CancellationToken.None);           // idempotent
        _clock.Advance(TimeSpan.FromSeconds(5));
        var half = await _driver.GetDiskCopyAsync(Source, spec.InstanceId, CancellationToken.None);
        Assert.Equal((DiskCopyState.Copying, 1280.0, 2560.0), (half.State, half.CopiedMiB, half.TotalMiB));
        await Assert.ThrowsAsync<HypervisorException>(() => _driver.RegisterCopyAsync(Target, spec, CancellationToken.None));
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(DiskCopyState.Synced, (await _driver.GetDiskCopyAsync(Source, spec.InstanceId, CancellationToken.None)).State);

        await _driver.RegisterCopyAsync(Target, spec, CancellationToken.None);
        Assert.Equal(Source.Id, _fleet.Find(spec.InstanceId)!.HostId);            // registered, not committed: still the source's
        await _driver.ActivateIncomingAsync(Target, spec.InstanceId, run: false, CancellationToken.None);
        await _driver.ActivateIncomingAsync(Target, spec.InstanceId, run: false, CancellationToken.None);  // idempotent
        await _driver.ReleaseOutgoingAsync(Source, spec.InstanceId, CancellationToken.None);
        Assert.Equal((Target.Id, VmPowerState.Shutoff), (_fleet.Find(spec.InstanceId)!.HostId, _fleet.Find(spec.InstanceId)!.Power));
        Assert.Empty(_fleet.VmsOn(Source.Id));
        Assert.Null(_fleet.DiskCopyOf(spec.InstanceId));
    }

    [Fact]
    public async Task SilencedHost_AnswersNothing_AndARestartElsewhereLeavesAStaleCopyUntilItIsDestroyed()
    {
        var spec = await RunningVmAsync();
        _fleet.Silence(Source.Id, true);
        Assert.False(await _driver.PingAsync(Source, CancellationToken.None));
        Assert.True(await _driver.PingAsync(Target, CancellationToken.None));
        var unreachable = await Assert.ThrowsAsync<HypervisorException>(() => _driver.ListAsync(Source, CancellationToken.None));
        Assert.True(unreachable.IsTransient);
        await Assert.ThrowsAsync<HypervisorException>(() => _driver.SetPowerAsync(Source, spec.InstanceId, PowerAction.Stop, CancellationToken.None));

        await _driver.ResumeAsync(Target, spec, CancellationToken.None);          // the control plane restarted it elsewhere
        Assert.Equal((Target.Id, VmPowerState.Running), (_fleet.Find(spec.InstanceId)!.HostId, _fleet.Find(spec.InstanceId)!.Power));
        _fleet.Silence(Source.Id, false);
        Assert.Equal(spec.InstanceId, (await _driver.ListAsync(Source, CancellationToken.None)).Single().InstanceId);   // the stale copy
        await _driver.DestroyAsync(Source, spec.InstanceId, CancellationToken.None);
        Assert.Empty(await _driver.ListAsync(Source, CancellationToken.None));
        Assert.Equal(Target.Id, _fleet.Find(spec.InstanceId)!.HostId);            // fencing the stale copy left the real one

        // A host that was never cut off still refuses a second copy of a VM.
        var other = new InstanceSpec(Guid.NewGuid(), "other", new Resources(1, 128, 10, 0), null, null, null);
        await _driver.SpawnAsync(Target, other, CancellationToken.None);
        var third = new HostRef(Guid.NewGuid(), "third", "fake");
        var twice = await Assert.ThrowsAsync<HypervisorException>(() => _driver.SpawnAsync(third, other, CancellationToken.None));
        Assert.Contains("refusing to create it twice", twice.Message);
    }
}
