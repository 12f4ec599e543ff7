using IaasApi.Domain.Migrations;
using IaasApi.Infrastructure.Hypervisors.Fake;

namespace IaasApi.Infrastructure;

/// <summary>The <c>Iaas</c> configuration section (README → Configuration lists every key).</summary>
public sealed class IaasOptions
{
    public const string Section = "Iaas";

    public string DataDirectory { get; set; } = "./data";
    public string? BootstrapAdminKey { get; set; }
    public bool InProcessWorkers { get; set; } = true;
    /// <summary>Embedded mode only: seed the demo cloud into an empty database (default true).</summary>
    public bool? SeedDemoData { get; set; }
    /// <summary>Default: true in embedded mode, false with PostgreSQL (production runs the migrate verb).</summary>
    public bool? MigrateOnStart { get; set; }

    public JobOptions Jobs { get; set; } = new();
    public ReconcilerOptions Reconciler { get; set; } = new();
    public PlacementOptions Placement { get; set; } = new();
    public SchedulingOptions Scheduling { get; set; } = new();
    public MigrationOptions Migration { get; set; } = new();
    public MaintenanceOptions Maintenance { get; set; } = new();
    public HealthOptions Health { get; set; } = new();
    public RebalanceOptions Rebalance { get; set; } = new();
    public FakeDriverOptions FakeDriver { get; set; } = new();
    public Hypervisors.Qemu.QemuOptions Qemu { get; set; } = new();
    public WorkerOptions Workers { get; set; } = new();
    public TelemetryOptions Telemetry { get; set; } = new();
    /// <summary>Swagger UI at /swagger (the document at /swagger/v1/swagger.json is always served). Default: on when embedded or in Development.</summary>
    public bool? SwaggerUi { get; set; }
    /// <summary>Hangfire's dashboard at /hangfire may delete and re-queue jobs (default: only in Development; read-only elsewhere).</summary>
    public bool? JobsDashboardWritable { get; set; }
}

public sealed class JobOptions
{
    /// <summary>Driver calls per operation before a transient failure counts as permanent.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Whether a driver failure is retried (by Hangfire): transient, and the operation has attempts left.</summary>
    public bool Retries(Domain.Operations.Operation op, Domain.Hypervisors.HypervisorException ex) => ex.IsTransient && op.Attempts < Math.Max(1, MaxAttempts);
    /// <summary>Delays between Hangfire retries of a transiently failed job.</summary>
    public int[] RetryDelaysSeconds { get; set; } = [2, 5, 15, 30, 60];
    public int QueuePollIntervalMilliseconds { get; set; } = 200;
    public int SchedulePollingIntervalMilliseconds { get; set; } = 1000;
    /// <summary>Hangfire worker threads per server (default: Hangfire's, 5 × cores capped at 20).</summary>
    public int? WorkerCount { get; set; }
    /// <summary>
    /// How often a worker process's Hangfire server reports itself alive. A server silent for four of these is dead:
    /// the reconciler re-drives the work it was carrying (a killed agent's jobs), and Hangfire forgets it.
    /// </summary>
    public int ServerHeartbeatSeconds { get; set; } = 30;
    /// <summary>A job fetched by a worker that died becomes visible to the others again after this long (Hangfire.PostgreSql).</summary>
    public int InvisibilityTimeoutSeconds { get; set; } = 300;
    /// <summary>A distributed lock (the tick's) held by a process that died is taken over after this long (Hangfire.PostgreSql).</summary>
    public int DistributedLockTimeoutSeconds { get; set; } = 120;

    /// <summary>How long a server may be silent before it counts as dead.</summary>
    public TimeSpan DeadServerAfter => TimeSpan.FromSeconds(4 * Math.Max(1, ServerHeartbeatSeconds));
}

public sealed class ReconcilerOptions
{
    /// <summary>How often the tick job runs (Hangfire cron with seconds).</summary>
    public int IntervalSeconds { get; set; } = 15;
    /// <summary>An operation untouched for this long, whose job is gone, failed or lost, is re-driven.</summary>
    public int StuckAfterSeconds { get; set; } = 60;
    /// <summary>Re-drives before an operation is failed (its instance goes to error).</summary>
    public int MaxRedrives { get; set; } = 3;
}

public sealed class PlacementOptions
{
    /// <summary>Filter order (names from API.md); a filter left out is off. Default: all, in the documented order.</summary>
    public string[]? Filters { get; set; }
    /// <summary>The cloud-wide cap on instances per host (the max-per-host filter); 0 = none.</summary>
    public int MaxInstancesPerHost { get; set; }
    /// <summary>How stale the in-memory host snapshot may get before a request refreshes what changed.</summary>
    public int RefreshMilliseconds { get; set; } = 250;
    /// <summary>A full re-read of the host table (catches deletions) at least this often.</summary>
    public int FullRefreshSeconds { get; set; } = 30;
    /// <summary>Ranked candidates tried per placement round before the snapshot is refreshed (Nova's alternates).</summary>
    public int MaxClaimAttempts { get; set; } = 10;
    /// <summary>Placement rounds (fresh host snapshot each) before answering no-valid-host.</summary>
    public int MaxRounds { get; set; } = 3;
}

public sealed class WorkerOptions
{
    /// <summary>Host names whose agent queues (<c>h-&lt;name&gt;</c>) this worker serves.</summary>
    public string[] Hosts { get; set; } = [];
    /// <summary>Whether this worker also serves the shared <c>control</c> queue.</summary>
    public bool ServeControlQueue { get; set; } = true;
    /// <summary>A file touched every 10 s while the database answers: a container's health check (unset: none).</summary>
    public string? AliveFile { get; set; }
}

public sealed class SchedulingOptions
{
    /// <summary>How long before a reservation starts the preemptible instances it will displace are told (the notice period).</summary>
    public int PreemptionNoticeSeconds { get; set; } = 300;
    /// <summary>A reservation's grace period after its end when the request names none: then the on-end action runs.</summary>
    public int DefaultGraceSeconds { get; set; } = 60;
    /// <summary>How far ahead a reservation may start.</summary>
    public int MaxAdvanceDays { get; set; } = 365;
    /// <summary>Queued instances one pass of the best-effort queue reads and ranks, in queue order (only those that fit touch the database).</summary>
    public int QueuePassLimit { get; set; } = 10_000;
    /// <summary>How many future slot ends the earliest-window search tries when a reservation does not fit.</summary>
    public int EarliestWindowCandidates { get; set; } = 500;
}

/// <summary>How a maintenance drain spreads its migrations.</summary>
public sealed class MaintenanceOptions
{
    /// <summary>Live migrations out of one host at a time (each shares its network link).</summary>
    public int MaxParallelPerHost { get; set; } = 2;
    /// <summary>Live migrations out of one zone's hosts at a time (they share the zone's fabric).</summary>
    public int MaxParallelPerZone { get; set; } = 4;
    /// <summary>Failed migrations of one instance before the drain gives up on it.</summary>
    public int MaxAttemptsPerInstance { get; set; } = 2;
}

/// <summary>The rebalancing planner's defaults (a request may say otherwise).</summary>
public sealed class RebalanceOptions
{
    /// <summary>The standard deviation of the hosts' loads (dominant shares, 0–1) the planner brings the zone under.</summary>
    public double TargetImbalance { get; set; } = 0.1;
    /// <summary>Migrations one plan may contain at most.</summary>
    public int MaxMoves { get; set; } = 50;
}

/// <summary>Host liveness: heartbeats from the agents, and when silence means the host is down (docs/migration.md).</summary>
public sealed class HealthOptions
{
    /// <summary>How often each worker process reports the hosts it serves as alive (those whose driver answers).</summary>
    public int HeartbeatSeconds { get; set; } = 10;
    /// <summary>Silence longer than this marks a host down and evacuates it (three missed beats by default).</summary>
    public int HostDownAfterSeconds { get; set; } = 30;
    /// <summary>How often a host's agent compares the VMs its host runs with the database (and once at its start).</summary>
    public int ReconcileSeconds { get; set; } = 60;
    /// <summary>How often a host's agent measures its running guests' memory use (non-zero memory, dirty rate) for the migration model.</summary>
    public int GuestStatsSeconds { get; set; } = 30;

    public void Validate()
    {
        if (HeartbeatSeconds <= 0 || HostDownAfterSeconds <= HeartbeatSeconds)
            throw new InvalidOperationException("Iaas:Health: HeartbeatSeconds must be positive and HostDownAfterSeconds longer than it.");
    }
}

/// <summary>The convergence policy live migrations use unless the request says otherwise (docs/migration.md).</summary>
public sealed class MigrationOptions
{
    /// <summary>The downtime the stop-and-copy may cost (QEMU's <c>downtime-limit</c>; its default is 300 ms).</summary>
    public int MaxDowntimeMs { get; set; } = 300;
    /// <summary>How long pre-copy may run per GiB of guest memory before the escalation decides.</summary>
    public double TimeoutSecondsPerGiB { get; set; } = 60;
    /// <summary>What to do when pre-copy does not converge: auto-converge, post-copy or abort.</summary>
    public string Escalation { get; set; } = "auto-converge";
    /// <summary>Pre-copy rounds at most before the escalation decides.</summary>
    public int MaxRounds { get; set; } = 30;
    /// <summary>The switch-over's fixed cost the model assumes (device state, pause, resume).</summary>
    public double SwitchoverMs { get; set; } = 20;
    /// <summary>How often the migration job asks the driver how pre-copy is going (and looks for cancel / force-complete).</summary>
    public int PollMilliseconds { get; set; } = 200;
    /// <summary>
    /// How long a migration waits for the other host's agent to answer a step (prepare the target, activate it) before
    /// counting it a transient failure (the job is retried; after its attempts the migration fails and the VM stays).
    /// </summary>
    public int AgentTaskTimeoutSeconds { get; set; } = 30;

    /// <summary>The policy for an SLA plan's instance: the request's downtime, else the plan's settings, else these.</summary>
    public ConvergencePolicy Policy(Domain.Catalog.SlaPlan? plan = null, int? maxDowntimeMs = null) =>
        new(maxDowntimeMs ?? plan?.MigrationMaxDowntimeMs ?? MaxDowntimeMs, plan?.MigrationTimeoutSecondsPerGiB ?? TimeoutSecondsPerGiB,
            plan?.MigrationEscalation ?? EscalationValue, MaxRounds);

    private ConvergenceEscalation EscalationValue =>
        EnumWords.TryParse<ConvergenceEscalation>(Escalation, out var e)
            ? e
            : throw new InvalidOperationException($"Iaas:Migration:Escalation '{Escalation}' is not auto-converge, post-copy or abort.");

    /// <summary>Refuses settings the model cannot run with, at start rather than on the first migration.</summary>
    public void Validate()
    {
        _ = Policy();
        if (MaxDowntimeMs <= 0 || TimeoutSecondsPerGiB <= 0 || MaxRounds <= 0 || SwitchoverMs < 0)
            throw new InvalidOperationException(
                "Iaas:Migration: MaxDowntimeMs, TimeoutSecondsPerGiB and MaxRounds must be positive, SwitchoverMs zero or more.");
    }
}

/// <summary><c>Iaas:Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    /// <summary>OTLP (gRPC or HTTP/protobuf) collector for metrics and traces; unset: no export (also read from OTEL_EXPORTER_OTLP_ENDPOINT).</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>The api serves the meters at /metrics in Prometheus' text format.</summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>/metrics asks for the admin key (Prometheus: <c>authorization: { credentials: … }</c>); false: anonymous.</summary>
    public bool MetricsRequireAdmin { get; set; } = true;

    /// <summary>One line per request (method, path, status, duration) under the log category <c>IaasApi.Access</c>.</summary>
    public bool AccessLog { get; set; } = true;
}
