namespace IaasApi.Infrastructure.Persistence;

/// <summary>
/// One driver call the control plane asked of a host's agent: a Hangfire job on the host's queue (<c>h-&lt;name&gt;</c>)
/// carries it; this row carries the request in and the answer back (the job that asked waits on it). How a live
/// migration's two sides meet when they run in two processes, on two machines: the source's job asks the target's
/// agent to prepare, then to activate (DESIGN.md: Hangfire over PostgreSQL is the distributed engine, no home-made RPC).
/// </summary>
public sealed class AgentTask
{
    public Guid Id { get; init; }
    public Guid HostId { get; init; }
    /// <summary>The migration the call belongs to, if any: a re-run of the migration's job finds the answer it already had.</summary>
    public Guid? MigrationId { get; init; }
    public required string Kind { get; init; }
    /// <summary><c>queued</c> → <c>running</c> → <c>succeeded</c> | <c>failed</c>; <c>abandoned</c> when the asker stopped waiting.</summary>
    public string Status { get; set; } = AgentTaskStatus.Queued;
    /// <summary>The <see cref="HostCall"/>, as JSON.</summary>
    public required string Request { get; init; }
    /// <summary>The driver's answer, as JSON (e.g. the endpoint a prepared target listens on).</summary>
    public string? Result { get; set; }
    public string? Error { get; set; }
    /// <summary>Whether the failure may go away on a retry (the driver said so).</summary>
    public bool Transient { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public static class AgentTaskStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Abandoned = "abandoned";
}
