namespace IaasApi.Domain.Migrations;

/// <summary>
/// How a guest uses its memory, as pre-copy sees it. <see cref="TouchedMiB"/> is what the first round must send (pages
/// never written are zero pages and cost next to nothing); <see cref="WorkingSetMiB"/> is the writable working set
/// (the pages the guest keeps rewriting: no round can find more of them dirty); <see cref="DirtyRateMiBps"/> is how
/// fast it dirties distinct pages of that set.
/// </summary>
public readonly record struct GuestMemory(double MemoryMiB, double TouchedMiB, double WorkingSetMiB, double DirtyRateMiBps)
{
    /// <summary>An idle guest of <paramref name="memoryMiB"/>: half of it touched, a 1 MiB working set dirtied at 1 MiB/s.</summary>
    public static GuestMemory Idle(double memoryMiB) => new(memoryMiB, memoryMiB / 2, 1, 1);
}

/// <summary>
/// The path between source and destination: usable bandwidth, the fixed cost of the switch-over (device state,
/// pausing the source, resuming the destination) that is the downtime's floor, and a fixed cost per migration outside
/// the downtime (<see cref="SetupMs"/>: connection, the scan of the guest's zero pages, the hosts' contention), which
/// the control plane learns from the host's past migrations.
/// </summary>
public readonly record struct MigrationLink(double BandwidthMiBps, double SwitchoverMs = 20, double SetupMs = 0);

/// <summary>What to do when pre-copy does not converge (the SLA plan chooses).</summary>
public enum ConvergenceEscalation
{
    /// <summary>Throttle the guest's vCPUs (20 %, then +10 % per stalled round, at most 99 %) so it dirties less.</summary>
    AutoConverge,
    /// <summary>Switch over now and pull the remaining pages on demand from the destination.</summary>
    PostCopy,
    /// <summary>Give up; the VM keeps running on the source.</summary>
    Abort,
}

/// <summary>
/// The convergence policy: the downtime the stop-and-copy may cost, how long pre-copy may run per GiB of guest
/// memory, how many rounds at most, and the escalation when it stalls or runs out of time or rounds.
/// </summary>
public sealed record ConvergencePolicy(int MaxDowntimeMs, double TimeoutSecondsPerGiB, ConvergenceEscalation Escalation, int MaxRounds = 30)
{
    public static ConvergencePolicy Default { get; } = new(300, 60, ConvergenceEscalation.AutoConverge);
}

/// <summary>
/// One pre-copy round: what it sent and in how long, the dirty rate while it ran (after any throttle), what was
/// dirtied meanwhile (the next round's work), and the downtime a stop-and-copy would cost right after it.
/// </summary>
public sealed record PreCopyRound(int Number, double SentMiB, double DurationMs, double DirtyRateMiBps, double RemainingMiB,
                                  double ExpectedDowntimeMs, double Throttle);

public enum PreCopyOutcome
{
    /// <summary>The remaining pages fit the downtime budget: stop-and-copy ran.</summary>
    Converged,
    /// <summary>Switched over before converging; the rest was pulled by the destination.</summary>
    PostCopy,
    /// <summary>Paused and finished on request, whatever the downtime.</summary>
    ForceCompleted,
    /// <summary>Stopped without switching over (no convergence, or cancelled): the VM is still the source's.</summary>
    Aborted,
}

public sealed record PreCopyResult(PreCopyOutcome Outcome, IReadOnlyList<PreCopyRound> Rounds, double TotalMs, double DowntimeMs,
                                   double TransferredMiB, double FinalThrottle, string Detail)
{
    public bool Switched => Outcome != PreCopyOutcome.Aborted;

    /// <summary>Post-copy: how long the pull after the switch-over takes (part of <see cref="TotalMs"/>), and what it pulls.</summary>
    public double PullMs { get; init; }
    public double PulledMiB { get; init; }

    /// <summary>When the switch-over happens, from the start: the end of the push (pre-copy and the stop-and-copy).</summary>
    public double SwitchedAtMs => TotalMs - PullMs;
}

/// <summary>
/// Iterative pre-copy (Clark et al., 2005) as a model: round 1 sends the touched memory; every later round sends what
/// the guest dirtied during the previous one, <c>min(W, D·(1−throttle)·t)</c>, at bandwidth B; the migration stops
/// and copies as soon as <c>remaining/B + switchover ≤ max downtime</c>. When a round no longer shrinks the remainder
/// by a tenth, or the rounds or the time budget run out, the policy's escalation decides. One round per
/// <see cref="Step"/>, so a simulator (the fake driver) can run it in real time and a cancel or force-complete can
/// land between rounds; <see cref="Predict"/> runs it to the end. Formulas and calibration: docs/migration.md.
/// </summary>
public sealed class PreCopySimulation
{
    /// <summary>A round that shrinks the remainder by less than this fraction is stalled.</summary>
    public const double StallRatio = 0.9;
    public const double FirstThrottle = 0.2;
    public const double ThrottleIncrement = 0.1;
    public const double MaxThrottle = 0.99;

    private readonly List<PreCopyRound> _rounds = [];
    private readonly GuestMemory _guest;
    private readonly MigrationLink _link;
    private readonly ConvergencePolicy _policy;

    public PreCopySimulation(GuestMemory guest, MigrationLink link, ConvergencePolicy policy)
    {
        Require(guest.MemoryMiB > 0, nameof(guest.MemoryMiB), "must be positive");
        Require(guest.TouchedMiB >= 0 && guest.TouchedMiB <= guest.MemoryMiB, nameof(guest.TouchedMiB), "must be within the guest's memory");
        Require(guest.WorkingSetMiB >= 0 && guest.WorkingSetMiB <= guest.MemoryMiB, nameof(guest.WorkingSetMiB), "must be within the guest's memory");
        Require(guest.DirtyRateMiBps >= 0 && double.IsFinite(guest.DirtyRateMiBps), nameof(guest.DirtyRateMiBps), "must be zero or more");
        Require(link.BandwidthMiBps > 0 && double.IsFinite(link.BandwidthMiBps), nameof(link.BandwidthMiBps), "must be positive");
        Require(link.SwitchoverMs >= 0, nameof(link.SwitchoverMs), "must be zero or more");
        Require(policy.MaxDowntimeMs > 0, nameof(policy.MaxDowntimeMs), "must be positive");
        Require(policy.TimeoutSecondsPerGiB > 0, nameof(policy.TimeoutSecondsPerGiB), "must be positive");
        Require(policy.MaxRounds > 0, nameof(policy.MaxRounds), "must be positive");
        (_guest, _link, _policy) = (guest, link, policy);
        Require(link.SetupMs >= 0 && double.IsFinite(link.SetupMs), nameof(link.SetupMs), "must be zero or more");
        RemainingMiB = guest.TouchedMiB;
        ElapsedMs = link.SetupMs;
        TimeoutMs = policy.TimeoutSecondsPerGiB * guest.MemoryMiB / 1024 * 1000;
    }

    public IReadOnlyList<PreCopyRound> Rounds => _rounds;
    /// <summary>What the next round (or a stop-and-copy now) must send.</summary>
    public double RemainingMiB { get; private set; }
    public double ElapsedMs { get; private set; }
    public double TransferredMiB { get; private set; }
    public double Throttle { get; private set; }
    public double TimeoutMs { get; }
    public PreCopyResult? Result { get; private set; }
    public bool Finished => Result is not null;

    /// <summary>The downtime a stop-and-copy would cost now.</summary>
    public double ExpectedDowntimeMs => DowntimeFor(RemainingMiB);

    /// <summary>Runs one round, then decides: stop-and-copy, escalate, or go on.</summary>
    public PreCopyRound Step()
    {
        if (Result is not null) throw new InvalidOperationException($"The migration already ended: {Result.Outcome}.");
        var sent = RemainingMiB;
        var duration = sent / _link.BandwidthMiBps * 1000;
        var dirtyRate = _guest.DirtyRateMiBps * (1 - Throttle);
        ElapsedMs += duration;
        TransferredMiB += sent;
        RemainingMiB = Math.Min(_guest.WorkingSetMiB, dirtyRate * duration / 1000);
        var round = new PreCopyRound(_rounds.Count + 1, sent, duration, dirtyRate, RemainingMiB, ExpectedDowntimeMs, Throttle);
        _rounds.Add(round);
        Decide(sent);
        return round;
    }

    /// <summary>Pauses the guest and copies what remains, whatever the downtime.</summary>
    public PreCopyResult ForceComplete()
    {
        if (Result is not null) return Result;
        return StopAndCopy(PreCopyOutcome.ForceCompleted,
            $"Forced to complete after {_rounds.Count} round(s) with {RemainingMiB:F1} MiB remaining.");
    }

    /// <summary>Stops without switching over: the VM stays the source's.</summary>
    public PreCopyResult Abort(string reason)
    {
        if (Result is not null) return Result;
        return Finish(PreCopyOutcome.Aborted, 0, reason);
    }

    /// <summary>The whole migration as the model predicts it.</summary>
    public static PreCopyResult Predict(GuestMemory guest, MigrationLink link, ConvergencePolicy policy)
    {
        var simulation = new PreCopySimulation(guest, link, policy);
        while (!simulation.Finished) simulation.Step();
        return simulation.Result!;
    }

    private void Decide(double sentThisRound)
    {
        if (ExpectedDowntimeMs <= _policy.MaxDowntimeMs)
        {
            StopAndCopy(PreCopyOutcome.Converged, Throttle > 0
                ? $"Converged after {_rounds.Count} round(s) with the guest throttled to {Throttle:P0}."
                : $"Converged after {_rounds.Count} round(s).");
            return;
        }
        var outOfBudget = _rounds.Count >= _policy.MaxRounds || ElapsedMs >= TimeoutMs;
        var stalled = RemainingMiB > StallRatio * sentThisRound;
        if (!outOfBudget && !stalled) return;

        var why = outOfBudget
            ? $"Pre-copy did not converge within {(_rounds.Count >= _policy.MaxRounds ? $"{_policy.MaxRounds} rounds" : $"{TimeoutMs / 1000:F1} s")}"
            : $"Pre-copy stalled: the guest dirties {_guest.DirtyRateMiBps * (1 - Throttle):F1} MiB/s of a {_guest.WorkingSetMiB:F0} MiB working set against {_link.BandwidthMiBps:F1} MiB/s";
        switch (_policy.Escalation)
        {
            case ConvergenceEscalation.PostCopy:
                PostCopy($"{why}; switched to post-copy with {RemainingMiB:F1} MiB remaining.");
                break;
            case ConvergenceEscalation.AutoConverge when !outOfBudget:
                Throttle = Throttle == 0 ? FirstThrottle : Math.Min(MaxThrottle, Throttle + ThrottleIncrement);
                break;
            default:
                Abort($"{why} (expected downtime {ExpectedDowntimeMs:F0} ms > {_policy.MaxDowntimeMs} ms" +
                      (Throttle > 0 ? $", guest throttled to {Throttle:P0}" : "") + "); the VM keeps running on the source.");
                break;
        }
    }

    private PreCopyResult StopAndCopy(PreCopyOutcome outcome, string detail)
    {
        var downtime = ExpectedDowntimeMs;
        ElapsedMs += downtime;
        TransferredMiB += RemainingMiB;
        RemainingMiB = 0;
        return Finish(outcome, downtime, detail);
    }

    /// <summary>The destination runs after the switch-over alone; the rest arrives at link speed while it runs.</summary>
    private void PostCopy(string detail)
    {
        var pulled = RemainingMiB;
        var pullMs = pulled / _link.BandwidthMiBps * 1000;
        ElapsedMs += _link.SwitchoverMs + pullMs;
        TransferredMiB += RemainingMiB;
        RemainingMiB = 0;
        Result = Finish(PreCopyOutcome.PostCopy, _link.SwitchoverMs, detail) with { PullMs = pullMs, PulledMiB = pulled };
    }

    private PreCopyResult Finish(PreCopyOutcome outcome, double downtimeMs, string detail) =>
        Result = new PreCopyResult(outcome, _rounds.ToList(), ElapsedMs, downtimeMs, TransferredMiB, Throttle, detail);

    private double DowntimeFor(double remainingMiB) => remainingMiB / _link.BandwidthMiBps * 1000 + _link.SwitchoverMs;

    private static void Require(bool ok, string name, string message)
    {
        if (!ok) throw new ArgumentOutOfRangeException(name, $"{name} {message}.");
    }
}
