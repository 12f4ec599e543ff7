using System.Text.Json.Serialization;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Instances;

namespace IaasApi.Api.Features.Instances;

public sealed record InstanceResponse(
    Guid Id, string Name, Guid TenantId, InstanceStatus Status, string? StatusReason, Guid? FlavorId, Guid? ImageId, Guid? SlaPlanId,
    Guid? ZoneId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? HostId,
    ResourcesDto Resources, Guid? ServerGroupId, Guid? OperationId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? DeletedAt,
    ProvisioningScheme Scheme, bool Preemptible, int Priority, Guid? ReservationId, DateTimeOffset? QueuedAt, DateTimeOffset? ExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? QueuePosition,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? StoragePoolId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? LastHostId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserData = null)
{
    /// <summary>
    /// The host is operator knowledge: only admins see <c>hostId</c> — the host it is on, absent while it is on none
    /// (waiting, evacuated, preempted, deleted) — <c>lastHostId</c> (the host it was on before) and <c>storagePoolId</c>
    /// (the shared pool its disk lives on; absent: its host's local disk). <c>resources</c> are the flavor's, wherever the
    /// disk lives. <paramref name="queuePosition"/>: where a queued instance stands (1 = next), the same in lists and single
    /// reads. <c>userData</c>: on single reads only (it may be 64 KiB).
    /// </summary>
    public static InstanceResponse From(Instance i, bool admin, int? queuePosition = null) => new(i.Id, i.Name, i.TenantId, i.Status,
        i.StatusReason, i.FlavorId, i.ImageId, i.SlaPlanId, i.ZoneId, admin ? i.HostId : null, ResourcesDto.From(i.Resources with { DiskGiB = i.DiskGiB }),
        i.ServerGroupId, i.OperationId, i.CreatedAt, i.UpdatedAt, i.DeletedAt, i.Scheme, i.Preemptible, i.Priority, i.ReservationId, i.QueuedAt,
        i.ExpiresAt, queuePosition, admin ? i.StoragePoolId : null, admin ? i.LastHostId : null);
}

/// <summary>The answer to a create with <c>count</c> &gt; 1: all instances and the one operation to poll.</summary>
public sealed record InstanceBatchResponse(IReadOnlyList<InstanceResponse> Items, Guid OperationId);

public sealed record InstanceActionResponse(Guid Id, string Action, InstanceStatus? FromStatus, InstanceStatus ToStatus, string Actor,
                                            Guid? OperationId, string? Detail, DateTimeOffset At)
{
    public static InstanceActionResponse From(InstanceAction a) =>
        new(a.Id, a.Action, a.FromStatus, a.ToStatus, a.Actor, a.OperationId, a.Detail, a.At);
}
