using IaasApi.Domain.Migrations;

namespace IaasApi.Domain.Tests;

/// <summary>
/// The pre-copy model: its rounds against the closed form, each escalation, force-complete and abort, its invariants
/// over random guests, and its calibration against the QEMU runs measured on this machine kind (docs/migration.md).
/// </summary>
public sealed class PreCopyTests
{
    private static readonly MigrationLink Link128 = new(128, 20);

    [Fact]
    public void IdleGuest_ConvergesAfterTheFirstRound_CloseToTheMeasuredQemuRun()
    {
        // QEMU 7.2/TCG, 128 MiB idle guest, 128 MiB/s, 300 ms limit: 438 ms total, 34 ms downtime, 63.9 MB sent.
        var r = PreCopySimulation.Predict(new GuestMemory(128, 61, 1, 1), Link128, ConvergencePolicy.Default);
        Assert.Equal(PreCopyOutcome.Converged, r.Outcome);
        Assert.Single(r.Rounds);
        Assert.InRange(r.TotalMs, 438 * 0.8, 438 * 1.25);
        Assert.InRange(r.DowntimeMs, 20, 34 * 1.5);
        Assert.InRange(r.TransferredMiB, 61, 62);
    }

    [Fact]
    public void Rounds_ShrinkGeometrically_ByDirtyRateOverBandwidth_WhileUnderTheWorkingSet()
    {
        var guest = new GuestMemory(4096, 2048, 4096, 32);                         // working set never binds
        var sim = new PreCopySimulation(guest, new MigrationLink(128, 0), new ConvergencePolicy(5, 600, ConvergenceEscalation.Abort));
        while (!sim.Finished) sim.Step();
        var rounds = sim.Result!.Rounds;
        Assert.True(rounds.Count >= 4, $"{rounds.Count} rounds");
        for (var i = 1; i < rounds.Count; i++)
            Assert.Equal(rounds[i - 1].SentMiB * 32 / 128, rounds[i].SentMiB, 6);   // V(n+1) = V(n)·D/B
        // Closed form: it stops at the first round n with V0·(D/B)^n / B + switchover ≤ max downtime.
        var n = (int)Math.Ceiling(Math.Log((5 - 0) / 1000.0 * 128 / 2048) / Math.Log(32.0 / 128));
        Assert.Equal(n, rounds.Count);
        Assert.Equal(PreCopyOutcome.Converged, sim.Result.Outcome);
        Assert.True(sim.Result.DowntimeMs <= 5);
    }

    [Fact]
    public void DirtyRateAtTheBandwidth_Stalls_AndAbortLeavesTheVmOnTheSource()
    {
        // 512 MiB rewriting a 128 MiB buffer at ≈130 MiB/s against 128 MiB/s: QEMU's expected downtime stayed ≈ 1 s.
        var guest = new GuestMemory(512, 330, 128, 130);
        var r = PreCopySimulation.Predict(guest, Link128, ConvergencePolicy.Default with { Escalation = ConvergenceEscalation.Abort });
        Assert.Equal(PreCopyOutcome.Aborted, r.Outcome);
        Assert.False(r.Switched);
        Assert.Equal(0, r.DowntimeMs);
        Assert.Equal(2, r.Rounds.Count);                                          // the bulk copy, then one round that did not shrink
        Assert.InRange(r.Rounds[^1].ExpectedDowntimeMs, 1000, 1030);
        Assert.Contains("stalled", r.Detail);
        Assert.Contains("keeps running on the source", r.Detail);
    }

    [Fact]
    public void Stall_WithPostCopy_SwitchesOverAtTheSwitchoverCost_AndPullsTheRest()
    {
        var guest = new GuestMemory(512, 330, 128, 130);
        var r = PreCopySimulation.Predict(guest, new MigrationLink(32, 20), ConvergencePolicy.Default with { Escalation = ConvergenceEscalation.PostCopy });
        Assert.Equal(PreCopyOutcome.PostCopy, r.Outcome);
        Assert.Equal(20, r.DowntimeMs);
        var preCopied = r.Rounds.Sum(x => x.SentMiB);
        Assert.Equal(preCopied + r.Rounds[^1].RemainingMiB, r.TransferredMiB, 6);
        Assert.Equal(r.Rounds.Sum(x => x.DurationMs) + 20 + r.Rounds[^1].RemainingMiB / 32 * 1000, r.TotalMs, 6);
    }

    [Fact]
    public void Stall_WithAutoConverge_ThrottlesStepByStep_UntilTheRemainderFits()
    {
        var guest = new GuestMemory(512, 330, 128, 130);
        var r = PreCopySimulation.Predict(guest, Link128, ConvergencePolicy.Default);
        Assert.Equal(PreCopyOutcome.Converged, r.Outcome);
        Assert.True(r.DowntimeMs <= 300);
        Assert.True(r.FinalThrottle >= PreCopySimulation.FirstThrottle);
        AssertThrottleSteps(r);
        Assert.Contains("throttled", r.Detail);
    }

    [Fact]
    public void ARoundThatShrinksTheRemainderByAFifth_IsProgress_NotAStall()
    {
        var r = PreCopySimulation.Predict(new GuestMemory(8192, 1024, 8192, 102.4), Link128,
                                          new ConvergencePolicy(100, 600, ConvergenceEscalation.Abort, 100));
        Assert.Equal(PreCopyOutcome.Converged, r.Outcome);                        // D/B = 0.8 every round
        Assert.All(r.Rounds.Skip(1), x => Assert.Equal(0.8, x.RemainingMiB / x.SentMiB, 6));
    }

    private static void AssertThrottleSteps(PreCopyResult r)
    {
        var throttles = r.Rounds.Select(x => x.Throttle).Append(r.FinalThrottle).Distinct().ToList();
        Assert.Equal(0, throttles[0]);
        for (var i = 1; i < throttles.Count; i++)                                 // 0 → 20 % → 30 % …, never down
            Assert.Equal(i == 1 ? 0.2 : throttles[i - 1] + 0.1, throttles[i], 6);
    }

    [Fact]
    public void AutoConverge_ThatRunsOutOfTime_Aborts()
    {
        var guest = new GuestMemory(512, 330, 128, 130);
        var r = PreCopySimulation.Predict(guest, new MigrationLink(64, 20), new ConvergencePolicy(50, 30, ConvergenceEscalation.AutoConverge));
        Assert.Equal(PreCopyOutcome.Aborted, r.Outcome);
        Assert.True(r.FinalThrottle >= 0.5, $"{r.FinalThrottle}");                 // it throttled first, step by step
        AssertThrottleSteps(r);
        Assert.True(r.TotalMs >= 30 * 0.5 * 1000);                                 // 30 s per GiB of a 0.5 GiB guest
        Assert.Contains("did not converge within", r.Detail);
    }

    [Fact]
    public void ForceComplete_PausesAndCopiesTheRemainder_WhateverTheDowntime()
    {
        var sim = new PreCopySimulation(new GuestMemory(512, 330, 128, 130), new MigrationLink(32, 20),
                                        ConvergencePolicy.Default with { Escalation = ConvergenceEscalation.Abort, MaxDowntimeMs = 10 });
        sim.Step();
        var remaining = sim.RemainingMiB;
        var r = sim.ForceComplete();
        Assert.Equal(PreCopyOutcome.ForceCompleted, r.Outcome);
        Assert.Equal(remaining / 32 * 1000 + 20, r.DowntimeMs, 6);
        Assert.Throws<InvalidOperationException>(() => sim.Step());
        Assert.Same(r, sim.Abort("too late"));                                    // the first ending stands
    }

    [Fact]
    public void RandomGuests_KeepTheModelsInvariants()
    {
        var random = new Random(2005);
        for (var i = 0; i < 2000; i++)
        {
            var memory = random.Next(64, 65537);
            var guest = new GuestMemory(memory, memory * random.NextDouble(), memory * random.NextDouble() * random.NextDouble(),
                                        random.NextDouble() * 2000);
            var link = new MigrationLink(1 + random.NextDouble() * 2000, random.Next(0, 60));
            var escalation = (ConvergenceEscalation)random.Next(3);
            var policy = new ConvergencePolicy(random.Next(1, 1000), 1 + random.NextDouble() * 120, escalation, random.Next(1, 60));
            var r = PreCopySimulation.Predict(guest, link, policy);

            Assert.InRange(r.Rounds.Count, 1, policy.MaxRounds);
            Assert.True(r.TotalMs >= guest.TouchedMiB / link.BandwidthMiBps * 1000 - 1e-6);          // the bulk copy at least
            Assert.True(r.TransferredMiB >= guest.TouchedMiB - 1e-9);
            Assert.All(r.Rounds.Skip(1), x => Assert.True(x.SentMiB <= guest.WorkingSetMiB + 1e-9));
            switch (r.Outcome)
            {
                case PreCopyOutcome.Converged:
                    Assert.True(r.DowntimeMs <= policy.MaxDowntimeMs + 1e-9);
                    break;
                case PreCopyOutcome.PostCopy:
                    Assert.Equal(ConvergenceEscalation.PostCopy, escalation);
                    Assert.Equal(link.SwitchoverMs, r.DowntimeMs);
                    break;
                case PreCopyOutcome.Aborted:
                    Assert.NotEqual(ConvergenceEscalation.PostCopy, escalation);
                    Assert.Equal(0, r.DowntimeMs);
                    break;
                default:
                    Assert.Fail($"unexpected {r.Outcome}");
                    break;
            }
        }
    }

    [Theory]
    [InlineData(0, 0, 0, 0, 128)]
    [InlineData(128, 200, 0, 0, 128)]
    [InlineData(128, 64, 200, 0, 128)]
    [InlineData(128, 64, 1, -1, 128)]
    [InlineData(128, 64, 1, 1, 0)]
    public void BadInput_IsRefused(double memory, double touched, double workingSet, double dirtyRate, double bandwidth) =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new PreCopySimulation(new GuestMemory(memory, touched, workingSet, dirtyRate), new MigrationLink(bandwidth), ConvergencePolicy.Default));
}


public sealed class HostMigrationRateTests
{
    [Fact]
    public void Fit_SeparatesASetupCostFromTheRate_WhenTheSamplesDifferInSize()
    {
        // time = 250 ms + MiB / 400 MiB/s
        var fit = HostMigrationRate.Fit([(60, 400), (100, 500), (140, 600)])!.Value;
        Assert.Equal(400, fit.RateMiBps, 6);
        Assert.Equal(250, fit.SetupMs, 6);
        Assert.Equal(3, fit.Samples);
    }

    [Fact]
    public void Fit_FallsBackToTheMedianRate_WhenTheSamplesCannotTellSetupFromRate()
    {
        Assert.Null(HostMigrationRate.Fit([]));
        var alike = HostMigrationRate.Fit([(60, 600), (61, 500), (60, 400)])!.Value;   // all the same size: no line through them
        Assert.Equal((61 / 0.5, 0.0), (alike.RateMiBps, alike.SetupMs));
        var odd = HostMigrationRate.Fit([(60, 900), (100, 500), (140, 400)])!.Value;    // bigger was faster: no sensible line
        Assert.Equal(0, odd.SetupMs);
        Assert.Equal(200, odd.RateMiBps, 6);
    }

    [Fact]
    public void ASetupCost_AddsToTheTotal_ButNotToTheDowntime()
    {
        var guest = new GuestMemory(128, 60, 1, 1);
        var plain = PreCopySimulation.Predict(guest, new MigrationLink(100), ConvergencePolicy.Default);
        var setup = PreCopySimulation.Predict(guest, new MigrationLink(100, SetupMs: 250), ConvergencePolicy.Default);
        Assert.Equal(plain.TotalMs + 250, setup.TotalMs, 6);
        Assert.Equal(plain.DowntimeMs, setup.DowntimeMs, 6);
    }
}
