using System.Text.Json.Serialization;
using IaasApi.Api.Features.Instances;
using IaasApi.Domain.Operations;

namespace IaasApi.Api.Features.Operations;

public sealed record OperationResponse(Guid Id, string Kind, OperationStatus Status, int Progress, string ResourceType, Guid? ResourceId,
                                       Guid? ParentId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? CompletedAt,
                                       OperationError? Error, bool Waiting, string? StatusReason,
                                       [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? QueuePosition)
{
    /// <summary><c>waiting</c>: its instance waits for capacity (the queue, a reservation's start); <c>statusReason</c> says why.</summary>
    public static OperationResponse From(Operation o) => From(o, null);

    public static OperationResponse From(Operation o, int? queuePosition) => new(o.Id, o.Kind, o.Status, o.Progress, o.ResourceType,
        o.ResourceId, o.ParentId, o.CreatedAt, o.UpdatedAt, o.CompletedAt,
        o.Error, o.Waiting, o.StatusReason,
        queuePosition);
}

public static class OperationsEndpoints
{
    public static void MapOperations(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/operations").WithTags("Operations");
        group.MapGet("/{id:guid}", Get).WithName("GetOperation").ProducesProblem(404);
        group.MapGet("/", List).WithName("ListOperations");
    }

    private static async Task<Ok<OperationResponse>> Get(Guid id, Caller caller, IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        var op = await db.Operations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == id, ct);
        if (op is null || (!caller.IsAdmin && op.TenantId != caller.TenantId)) throw new NotFoundException("operation", id);
        int? position = null;
        if (op.Waiting && op.ResourceId is { } instanceId && await db.Instances.AsNoTracking().SingleOrDefaultAsync(i => i.Id == instanceId, ct) is { } waiting)
            position = InstanceQueries.PositionOf(await InstanceQueries.QueuePositionsAsync(db, [waiting], ct), instanceId);
        return Store.Ok(http, op.Version, OperationResponse.From(op, position));
    }

    /// <summary>
    /// <c>?resourceId=</c> lists every operation that acted on the resource: its own, and the batch it was created in
    /// (found through the instance's audit trail).
    /// </summary>
    private static Task<Page<OperationResponse>> List(Caller caller, IaasDbContext db, int? limit, string? pageToken, Guid? resourceId,
                                                      string? status, string? kind, HttpContext http, CancellationToken ct)
    {
        var query = db.Operations.AsNoTracking();
        if (caller.TenantId is { } own) query = query.Where(o => o.TenantId == own);
        if (resourceId is { } rid)
            query = query.Where(o => o.ResourceId == rid
                                     || db.Operations.Any(c => c.ParentId == o.Id && c.ResourceId == rid)
                                     || db.InstanceActions.Any(a => a.InstanceId == rid && a.OperationId == o.Id));
        if (QueryValues.Enum<OperationStatus>(status, "status") is { } wanted) query = query.Where(o => o.Status == wanted);
        if (kind is not null) query = query.Where(o => o.Kind == kind);
        return Paging.PageAsync(http, query, limit, pageToken, OperationResponse.From, ct);
    }
}
