using IaasApi.Domain.Common;
using IaasApi.Domain.Migrations;

namespace IaasApi.Domain.Tests;

/// <summary>The migration's stage order per type, the source-until-commitment rule, cancel and fail, progress.</summary>
public sealed class MigrationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Guid Source = Guid.NewGuid();
    private static readonly Guid Target = Guid.NewGuid();

    private static Migration New(MigrationType type = MigrationType.Live) =>
        new(Guid.NewGuid(), Guid.NewGuid(), type, Source, type == MigrationType.Storage ? null : Target, 300, null, T0);

    private static Migration Through(MigrationStage last, MigrationType type = MigrationType.Live, bool postCopy = false)
    {
        var m = New(type);
        var t = T0;
        foreach (var stage in Migration.StagesOf(type))
        {
            if (stage == MigrationStage.PostCopy && last != MigrationStage.PostCopy && !postCopy) continue;   // only on the post-copy path
            m.Enter(stage, t = t.AddSeconds(1));
            if (stage == last) break;
        }
        return m;
    }

    [Theory]
    [InlineData(MigrationType.Live, "pre-migration reservation pre-copy stop-and-copy commitment activation")]
    [InlineData(MigrationType.Cold, "pre-migration reservation stop copy-disks register commitment activation")]
    [InlineData(MigrationType.Storage, "pre-migration reservation copy mirror commitment activation")]
    public void Stages_RunInTheirTypesOrder_EachTimestamped(MigrationType type, string expected)
    {
        var m = Through(Migration.StagesOf(type)[^1], type);
        m.Complete("done", T0.AddMinutes(1));
        Assert.Equal(expected, string.Join(" ", m.Stages.Select(s => EnumWords.ToWord(s.Stage))));
        Assert.All(m.Stages, s => Assert.True(s.EndedAt > s.StartedAt));
        Assert.Equal((MigrationStatus.Completed, 100), (m.Status, m.Percent()));
        Assert.False(m.OnSource);
    }

    [Fact]
    public void AStage_CannotBeSkippedRepeatedOrBorrowedFromAnotherType()
    {
        var m = New();
        Assert.Throws<InvalidStateException>(() => m.Enter(MigrationStage.Reservation, T0));
        m.Enter(MigrationStage.PreMigration, T0);
        Assert.Throws<InvalidStateException>(() => m.Enter(MigrationStage.PreMigration, T0));
        Assert.Throws<InvalidStateException>(() => m.Enter(MigrationStage.PreCopy, T0));
        m.Enter(MigrationStage.Reservation, T0);
        var wrong = Assert.Throws<InvalidStateException>(() => m.Enter(MigrationStage.CopyDisks, T0));
        Assert.Contains("pre-migration → reservation → pre-copy", wrong.Message);
        Assert.Throws<InvalidStateException>(() => m.Complete("too early", T0));
    }

    [Theory]
    [InlineData(MigrationStage.PreMigration)]
    [InlineData(MigrationStage.Reservation)]
    [InlineData(MigrationStage.PreCopy)]
    [InlineData(MigrationStage.StopAndCopy)]
    public void FailureOrCancel_BeforeCommitment_LeavesTheVmOnTheSource(MigrationStage stage)
    {
        var failed = Through(stage);
        failed.Fail("driver error", T0.AddMinutes(1));
        Assert.Equal((MigrationStatus.Failed, true), (failed.Status, failed.OnSource));
        Assert.All(failed.Stages, s => Assert.NotNull(s.EndedAt));

        var cancelled = Through(stage);
        cancelled.Cancel("operator", T0.AddMinutes(1));
        Assert.Equal((MigrationStatus.Cancelled, true, "operator"), (cancelled.Status, cancelled.OnSource, cancelled.Reason));
        Assert.Throws<InvalidStateException>(() => cancelled.Enter(MigrationStage.Commitment, T0.AddMinutes(2)));
        Assert.Throws<InvalidStateException>(() => cancelled.Fail("again", T0.AddMinutes(2)));
    }

    [Fact]
    public void Commitment_IsTheLastMomentOnTheSource_AndCannotBeCancelled()
    {
        var m = Through(MigrationStage.Commitment);
        Assert.True(m.OnSource);                                                  // the commit has not ended yet
        Assert.Throws<InvalidStateException>(() => m.Cancel("too late", T0.AddMinutes(1)));
        m.Enter(MigrationStage.Activation, T0.AddMinutes(1));
        Assert.False(m.OnSource);
        m.Fail("port rebinding failed", T0.AddMinutes(2));                        // failed, but the VM is the target's
        Assert.Equal((MigrationStatus.Failed, false), (m.Status, m.OnSource));
    }

    [Fact]
    public void PostCopy_IsAStageOfItsOwnBetweenTheSwitchoverAndTheCommitment_AndCannotBeCancelled()
    {
        var m = Through(MigrationStage.PostCopy);
        Assert.Equal("pre-migration reservation pre-copy stop-and-copy post-copy", string.Join(" ", m.Stages.Select(s => EnumWords.ToWord(s.Stage))));
        Assert.True(m.InPostCopy);
        Assert.False(m.TargetHoldsCopy);                                          // part of the guest's memory is still on the source
        Assert.Throws<InvalidStateException>(() => m.RequestCancel());
        m.RecordPull(900, 100);
        Assert.Equal(70, m.Percent());                                            // (4 stages + 9/10 of the pull) of 7
        m.RecordPulled(31, 4200, 1000);
        Assert.Equal((31.0, 4200.0, 1000.0), (m.DowntimeMs, m.HypervisorTotalMs, m.TransferredMiB));
        m.Enter(MigrationStage.Commitment, T0.AddMinutes(1));
        m.Enter(MigrationStage.Activation, T0.AddMinutes(1));
        m.Complete("done", T0.AddMinutes(2));
        Assert.Equal(7, m.Stages.Count);
        // A converged migration skips it; once past, it cannot come back.
        var converged = Through(MigrationStage.Commitment);
        Assert.DoesNotContain(converged.Stages, s => s.Stage == MigrationStage.PostCopy);
        Assert.Throws<InvalidStateException>(() => converged.Enter(MigrationStage.PostCopy, T0.AddMinutes(1)));
    }

    [Theory]
    [InlineData(null, "source", HostDownOutcome.EndOnSource)]
    [InlineData(MigrationStage.PreMigration, "source", HostDownOutcome.EndOnSource)]
    [InlineData(MigrationStage.Reservation, "source", HostDownOutcome.EndOnSource)]
    [InlineData(MigrationStage.PreCopy, "source", HostDownOutcome.EndOnSource)]
    [InlineData(MigrationStage.StopAndCopy, "source", HostDownOutcome.CommitOnTarget)]
    [InlineData(MigrationStage.Commitment, "source", HostDownOutcome.CommitOnTarget)]
    [InlineData(MigrationStage.Activation, "source", HostDownOutcome.FinishOnTarget)]
    [InlineData(MigrationStage.PostCopy, "source", HostDownOutcome.LostInPostCopy)]
    [InlineData(MigrationStage.PreCopy, "target", HostDownOutcome.EndOnSource)]
    [InlineData(MigrationStage.StopAndCopy, "target", HostDownOutcome.EndOnSource)]
    [InlineData(MigrationStage.PostCopy, "target", HostDownOutcome.LostInPostCopy)]
    [InlineData(MigrationStage.Activation, "target", HostDownOutcome.TargetFailed)]
    [InlineData(MigrationStage.PreCopy, "elsewhere", HostDownOutcome.None)]
    public void AHostDown_EndsTheMigrationByClarksRule_TheSourceIsPrimaryUntilTheTargetHoldsTheWholeGuest(MigrationStage? stage, string which,
                                                                                                         HostDownOutcome expected)
    {
        var m = stage is { } last ? Through(last, postCopy: last == MigrationStage.PostCopy) : New();
        var host = which switch { "source" => m.SourceHostId, "target" => m.TargetHostId!.Value, _ => Guid.NewGuid() };
        Assert.Equal(expected, m.WhenHostDown(host));
    }

    [Fact]
    public void AColdMigration_CommitsOnTheTargetOnlyOnceTheCopyIsRegistered_AndAStorageOneEndsWithItsHost()
    {
        var copying = Through(MigrationStage.CopyDisks, MigrationType.Cold);
        Assert.Equal(HostDownOutcome.EndOnSource, copying.WhenHostDown(copying.SourceHostId));
        var registered = Through(MigrationStage.Commitment, MigrationType.Cold);
        Assert.Equal(HostDownOutcome.CommitOnTarget, registered.WhenHostDown(registered.SourceHostId));
        var mirroring = Through(MigrationStage.Mirror, MigrationType.Storage);
        Assert.Equal(HostDownOutcome.EndOnSource, mirroring.WhenHostDown(mirroring.SourceHostId));
        var ended = Through(MigrationStage.Activation);
        ended.Complete("done", T0.AddMinutes(1));
        Assert.Equal(HostDownOutcome.None, ended.WhenHostDown(ended.SourceHostId));
    }

    [Fact]
    public void PreCopyRounds_AreRecordedOnlyInPreCopy_AndDriveTheProgress()
    {
        var m = Through(MigrationStage.Reservation);
        var round = new PreCopyRound(1, 300, 2000, 100, 100, 800, 0);
        Assert.Throws<InvalidStateException>(() => m.RecordRound(round));
        Assert.Equal(16, m.Percent());                                            // 1 of 6 stages done
        m.Enter(MigrationStage.PreCopy, T0.AddMinutes(1));
        Assert.Equal(33, m.Percent());
        m.RecordRound(round);                                                     // 300 sent, 100 left: 3/4 of pre-copy's share
        Assert.Equal(45, m.Percent());
        m.RecordSwitchover(PreCopyOutcome.Converged, 24);
        Assert.Equal((PreCopyOutcome.Converged, 24.0), (m.PreCopyOutcome, m.DowntimeMs));
    }

    [Fact]
    public void BadInput_IsRefused()
    {
        Assert.Throws<FieldValidationException>(() => new Migration(Guid.NewGuid(), Guid.NewGuid(), MigrationType.Live, Source, Source, null, null, T0));
        Assert.Throws<FieldValidationException>(() => new Migration(Guid.NewGuid(), Guid.NewGuid(), MigrationType.Live, Source, null, 0, null, T0));
        Assert.Throws<FieldValidationException>(() => new Migration(Guid.NewGuid(), Guid.NewGuid(), MigrationType.Live, Source, null, null, -5, T0));
        var m = Through(MigrationStage.PreMigration);
        Assert.Throws<InvalidStateException>(() => m.ChooseTarget(Source));
        m.ChooseTarget(Guid.NewGuid());
        m.Enter(MigrationStage.Reservation, T0.AddMinutes(1));
        Assert.Throws<InvalidStateException>(() => m.ChooseTarget(Guid.NewGuid()));
    }
}
