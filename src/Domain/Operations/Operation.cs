using IaasApi.Domain.Common;

namespace IaasApi.Domain.Operations;

public enum OperationStatus { Running, Succeeded, Failed, Cancelled }

/// <summary>The problem an operation failed with: the same shape as an HTTP problem.</summary>
public sealed record OperationError(string Type, string Title, string? Detail);

/// <summary>
/// A unit of asynchronous work a client can poll (<c>instance.create</c>, <c>instance.stop</c>...). A request for
/// several instances has a parent operation whose status follows its children.
/// </summary>
public sealed class Operation : Entity
{
    private Operation() { Kind = ""; ResourceType = ""; }

    public Operation(string kind, string resourceType, Guid? resourceId, Guid? tenantId, Guid? parentId, DateTimeOffset now)
        : base(now)
    {
        Kind = kind;
        ResourceType = resourceType;
        ResourceId = resourceId;
        TenantId = tenantId;
        ParentId = parentId;
        Status = OperationStatus.Running;
    }

    public string Kind { get; private set; }
    public OperationStatus Status { get; private set; }
    public int Progress { get; private set; }
    public string ResourceType { get; private set; }
    public Guid? ResourceId { get; private set; }
    public Guid? TenantId { get; private set; }
    public Guid? ParentId { get; private set; }
    public OperationError? Error { get; private set; }

    /// <summary>The Hangfire job currently carrying this work (null until enqueued; the reconciler checks it).</summary>
    public string? JobId { get; private set; }
    /// <summary>The caller's Idempotency-Key (scoped, <c>tenant:&lt;id&gt;:&lt;key&gt;</c>): unique, so a create runs once.</summary>
    public string? ClientToken { get; init; }
    /// <summary>Hash of the request that used <see cref="ClientToken"/>: the same key with another body is refused.</summary>
    public string? RequestHash { get; init; }
    /// <summary>What the work was asked to do, as JSON, when it is more than its resource (a migration plan to execute).</summary>
    public string? Parameters { get; init; }
    /// <summary>The Hangfire queue its job runs on; null for a batch's parent and while the work waits for capacity.</summary>
    public string? Queue { get => _queue; init => _queue = value; }
    private string? _queue;
    /// <summary>True while its instance waits for capacity (the best-effort queue, a reservation's start): no job yet.</summary>
    public bool Waiting { get; private set; }
    /// <summary>
    /// Where it stands in words: why it waits (what is missing) while <see cref="Waiting"/>, long work's progress, and once
    /// it failed or was cancelled, its error's detail.
    /// </summary>
    public string? StatusReason { get; private set; }
    /// <summary>How many times a worker has started this work (retries and re-drives included).</summary>
    public int Attempts { get; private set; }
    /// <summary>How many times the reconciler re-enqueued it after its job was lost.</summary>
    public int Redrives { get; private set; }
    public string? LastError { get; private set; }
    public DateTimeOffset? CompletedAt { get; private set; }

    public bool IsFinished => Status != OperationStatus.Running;

    /// <summary>One instance's work (not a batch's parent): it has a queue, or waits for one.</summary>
    public bool IsSingle => _queue is not null || Waiting;

    /// <summary>The work waits for capacity; no job carries it until <see cref="Route"/>.</summary>
    public void Wait(string reason)
    {
        Waiting = true;
        StatusReason = Truncate(reason);
    }

    /// <summary>Where long work stands, in words (a drain's counts); the work is not waiting.</summary>
    public void Report(string reason) => StatusReason = Truncate(reason);

    /// <summary>Capacity was found on a host: the work goes to that host's queue.</summary>
    public void Route(string queue)
    {
        _queue = queue;
        Waiting = false;
        StatusReason = null;
        JobId = null;
    }

    public void BindResource(Guid resourceId) => ResourceId ??= resourceId;

    public void StartAttempt() => Attempts++;

    public void ReportProgress(int percent) => Progress = Math.Clamp(Math.Max(Progress, percent), 0, 99);

    public void RecordTransientError(string message) => LastError = Truncate(message);

    public void Redrive() => Redrives++;

    public void Succeed(DateTimeOffset now) => Finish(OperationStatus.Succeeded, null, now);

    public void Fail(OperationError error, DateTimeOffset now) => Finish(OperationStatus.Failed, error, now);

    public void Cancel(string reason, DateTimeOffset now) =>
        Finish(OperationStatus.Cancelled, new OperationError(ProblemTypes.Uri(ProblemTypes.Cancelled), "The operation was cancelled.", reason), now);

    private void Finish(OperationStatus status, OperationError? error, DateTimeOffset now)
    {
        if (IsFinished) return;
        Status = status;
        Waiting = false;
        Error = error is null ? null : error with { Detail = Truncate(error.Detail) };
        // One account of how it ended: a failed or cancelled operation's status line is its error's, never an earlier progress line.
        if (Error is not null) StatusReason = Error.Detail ?? Error.Title;
        Progress = 100;
        CompletedAt = now;
    }

    private static string? Truncate(string? s) => Text.Cap(s);
}
