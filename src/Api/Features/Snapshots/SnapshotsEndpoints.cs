using IaasApi.Api.Features.Instances;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Snapshots;
using IaasApi.Infrastructure.Operations;

namespace IaasApi.Api.Features.Snapshots;

/// <param name="IncludeMemory">Save the running guest's memory too, so a restore resumes it where it was (default: whether it
/// runs). A stopped instance has no memory to save.</param>
public sealed record CreateSnapshotRequest(Guid? InstanceId, string? Name, bool? IncludeMemory);

public sealed record RestoreSnapshotRequest(Guid? SnapshotId);

public sealed record SnapshotResponse(Guid Id, string Name, Guid InstanceId, Guid TenantId, SnapshotStatus Status, string? StatusReason,
                                      bool IncludesMemory, int? SizeMiB, Guid? OperationId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static SnapshotResponse From(Snapshot s) => new(s.Id, s.Name, s.InstanceId, s.TenantId, s.Status,
        s.StatusReason.Length == 0 ? null : s.StatusReason, s.IncludesMemory, s.SizeMiB, s.OperationId, s.CreatedAt, s.UpdatedAt);
}

public sealed class CreateSnapshotValidator : AbstractValidator<CreateSnapshotRequest>
{
    public CreateSnapshotValidator()
    {
        RuleFor(x => x.InstanceId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.Name).ValidName();
    }
}

public sealed class RestoreSnapshotValidator : AbstractValidator<RestoreSnapshotRequest>
{
    public RestoreSnapshotValidator() => RuleFor(x => x.SnapshotId).NotNull().NotEqual(Guid.Empty);
}

/// <summary>
/// Instance snapshots: a running or stopped instance's disk, point in time, and — for a running one, unless asked not
/// to — its memory, kept where every host reaches them. <c>POST /v1/instances/{id}/actions/restore</c> (mapped with the
/// instance's actions, <c>Instances/RestoreInstance.cs</c>) puts the instance back to one and runs it from there. They belong to the instance's tenant (another tenant's is a 404) and
/// go with the instance. Long-running: 202 with an operation (<c>snapshot.create</c>, <c>snapshot.delete</c>,
/// <c>instance.restore</c>).
/// </summary>
public static class SnapshotsEndpoints
{
    private const string Resource = "snapshot";

    public static void MapSnapshots(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/snapshots").WithTags("Snapshots");
        group.MapPost("/", Create).Validate<CreateSnapshotRequest>().WithName("CreateSnapshot")
             .ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/", List).WithName("ListSnapshots");
        group.MapGet("/{id:guid}", Get).WithName("GetSnapshot").ProducesProblem(404);
        group.MapDelete("/{id:guid}", Delete).WithName("DeleteSnapshot")
             .ProducesProblem(404).ProducesProblem(409).ProducesProblem(412);
    }

    private static async Task<Accepted<SnapshotResponse>> Create(CreateSnapshotRequest req, Caller caller, IaasDbContext db, JobDispatcher dispatcher,
                                                                 HttpContext http, CancellationToken ct)
    {
        var instance = await InstanceQueries.FindVisibleAsync(db, caller, req.InstanceId!.Value, ct);
        if (instance.Status is not (InstanceStatus.Running or InstanceStatus.Stopped) || instance.HostId is null)
            throw new InvalidStateException(
                $"Instance '{instance.Name}' is '{EnumWords.ToWord(instance.Status)}'{(instance.HostId is not null ? "" : " off any host")}; " +
                "a snapshot is taken of a running or stopped instance on its host.");
        var withMemory = req.IncludeMemory ?? instance.Status == InstanceStatus.Running;
        if (withMemory && instance.Status != InstanceStatus.Running)
            throw new InvalidStateException($"Instance '{instance.Name}' is stopped: it has no memory to save ('includeMemory': false).");
        var now = db.Clock.GetUtcNow();
        var snapshot = new Snapshot(instance.Id, instance.TenantId, req.Name!, withMemory, now);
        var op = await OperationOnHostAsync(db, OperationKinds.SnapshotCreate, instance, Resource, snapshot.Id, now, ct);
        snapshot.Track(op.Id);
        db.Snapshots.Add(snapshot);
        db.Operations.Add(op);
        await db.SaveChangesAsync(ct);
        await dispatcher.DispatchAsync(op, CancellationToken.None);
        ETags.Set(http, snapshot.Version);
        return TypedResults.Accepted($"/v1/snapshots/{snapshot.Id}", SnapshotResponse.From(snapshot));
    }

    /// <summary>Deleted snapshots are hidden unless asked for with <c>?status=deleted</c>.</summary>
    private static Task<Page<SnapshotResponse>> List(Caller caller, IaasDbContext db, int? limit, string? pageToken, Guid? instanceId, Guid? tenantId,
                                                     string? status, string? name, HttpContext http, CancellationToken ct)
    {
        var query = db.Snapshots.AsNoTracking();
        query = caller.TenantId is { } own ? query.Where(s => s.TenantId == own)
            : tenantId is not null ? query.Where(s => s.TenantId == tenantId) : query;
        query = QueryValues.Enum<SnapshotStatus>(status, "status") is { } st ? query.Where(s => s.Status == st) : query.Where(s => s.Status != SnapshotStatus.Deleted);
        if (instanceId is not null) query = query.Where(s => s.InstanceId == instanceId);
        if (name is not null) query = query.Where(s => s.Name == name);
        return Paging.PageAsync(http, query, limit, pageToken, SnapshotResponse.From, ct);
    }

    private static async Task<Ok<SnapshotResponse>> Get(Guid id, Caller caller, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var snapshot = await FindVisibleAsync(db, caller, id, ct);
        return Store.Ok(http, snapshot.Version, SnapshotResponse.From(snapshot));
    }

    /// <summary>Idempotent: deleting a deleting or deleted snapshot answers 202 with its current state.</summary>
    private static async Task<Accepted<SnapshotResponse>> Delete(Guid id, Caller caller, IaasDbContext db, JobDispatcher dispatcher, HttpContext http,
                                                                 CancellationToken ct)
    {
        var snapshot = await FindVisibleAsync(db, caller, id, ct);
        ETags.CheckIfMatch(http, snapshot.Version);
        if (snapshot.Status is not (SnapshotStatus.Deleting or SnapshotStatus.Deleted))
        {
            var instance = await db.Instances.AsNoTracking().SingleAsync(i => i.Id == snapshot.InstanceId, ct);
            var op = await OperationOnHostAsync(db, OperationKinds.SnapshotDelete, instance, Resource, snapshot.Id, db.Clock.GetUtcNow(), ct);
            snapshot.BeginDelete(op.Id);                                                              // 409 while a restore reads it
            db.Operations.Add(op);
            await db.SaveChangesAsync(ct);                                                            // 409 if it changed concurrently
            await dispatcher.DispatchAsync(op, CancellationToken.None);
        }
        ETags.Set(http, snapshot.Version);
        return TypedResults.Accepted($"/v1/snapshots/{snapshot.Id}", SnapshotResponse.From(snapshot));
    }

    /// <summary>An operation run by the agent of the instance's host (where the driver reaches the VM).</summary>
    internal static async Task<Operation> OperationOnHostAsync(IaasDbContext db, string kind, Instance instance, string resourceType, Guid resourceId,
                                                              DateTimeOffset now, CancellationToken ct) =>
        new(kind, resourceType, resourceId, instance.TenantId, null, now) { Queue = await JobDispatcher.QueueForVmAsync(db, instance, ct) };

    private static async Task<Snapshot> FindVisibleAsync(IaasDbContext db, Caller caller, Guid id, CancellationToken ct)
    {
        var snapshot = await db.Snapshots.SingleOrDefaultAsync(s => s.Id == id, ct);
        return snapshot is not null && caller.CanSee(snapshot.TenantId) ? snapshot : throw new NotFoundException(Resource, id);
    }
}
