using IaasApi.Domain.Common;
using static IaasApi.Domain.Instances.InstanceStatus;

namespace IaasApi.Domain.Instances;

/// <summary>
/// A tenant's VM. Status changes only through <see cref="MoveTo"/>, which enforces
/// <see cref="InstanceTransitions"/> and appends an <see cref="InstanceAction"/> for every change.
/// </summary>
public sealed class Instance : Entity
{
    private Instance() { Name = ""; }

    private Instance(string name, Guid tenantId, Guid flavorId, Guid imageId, Guid slaPlanId, Resources resources,
                     string? userData, DateTimeOffset now) : base(now)
    {
        Name = name;
        TenantId = tenantId;
        FlavorId = flavorId;
        ImageId = imageId;
        SlaPlanId = slaPlanId;
        Resources = resources;
        UserData = userData;
    }

    public string Name { get; private set; }
    public Guid TenantId { get; private set; }
    public InstanceStatus Status { get; private set; }
    public string? StatusReason { get; private set; }
    // Catalog references become null if the catalog entry is deleted after this instance was deleted.
    public Guid? FlavorId { get; private set; }
    public Guid? ImageId { get; private set; }
    public Guid? SlaPlanId { get; private set; }
    public Guid? ZoneId { get; private set; }
    public Guid? HostId { get; private set; }
    public Guid? ServerGroupId { get; private set; }
    /// <summary>The flavor's resources copied at creation: what was claimed is what is released.</summary>
    public Resources Resources { get; private set; }
    /// <summary>True while <see cref="Resources"/> is counted in the host's allocation.</summary>
    public bool ResourcesClaimed { get; private set; }
    public string? UserData { get; private set; }
    /// <summary>The operation currently (or last) acting on this instance.</summary>
    public Guid? OperationId { get; private set; }
    public DateTimeOffset? DeletedAt { get; private set; }

    /// <summary>New audit rows recorded on this instance and not yet saved (the full trail is read separately).</summary>
    public List<InstanceAction> Actions { get; private set; } = [];

    /// <summary>A new instance placed on a host whose capacity the caller has just claimed: status <c>building</c>.</summary>
    public static Instance Place(string name, Guid tenantId, Guid flavorId, Guid imageId, Guid slaPlanId, Resources resources,
                                 string? userData, Guid hostId, Guid zoneId, string actor, Guid operationId, DateTimeOffset now,
                                 Guid? serverGroupId = null)
    {
        var instance = new Instance(name, tenantId, flavorId, imageId, slaPlanId, resources, userData, now)
        {
            HostId = hostId,
            ServerGroupId = serverGroupId,
            ZoneId = zoneId,
            ResourcesClaimed = true,
            OperationId = operationId,
            Status = Building,
        };
        instance.Actions.Add(new InstanceAction(instance.Id, "create", null, Building, actor, operationId, null, now));
        return instance;
    }

    public bool IsLive => Status != Deleted;

    /// <summary>Moves to <paramref name="next"/> or throws <see cref="InvalidStateException"/>.</summary>
    public void MoveTo(InstanceStatus next, string action, string actor, Guid? operationId, DateTimeOffset now, string? detail = null)
    {
        if (!InstanceTransitions.IsAllowed(Status, next))
            throw new InvalidStateException(
                $"Instance '{Id}' is '{EnumWords.ToWord(Status)}'; '{action}' is not allowed in that status.");
        Record(next, action, actor, operationId, now, detail);
    }

    /// <summary>Starts a user-requested action (stop, start, reboot, delete) under a new operation.</summary>
    public void Begin(InstanceStatus transitional, string action, string actor, Guid operationId, DateTimeOffset now)
    {
        MoveTo(transitional, action, actor, operationId, now);
        OperationId = operationId;
        StatusReason = null;
    }

    public void Fail(string reason, string actor, Guid? operationId, DateTimeOffset now)
    {
        MoveTo(Error, "fail", actor, operationId, now, reason);
        StatusReason = Text.Cap(reason);
    }

    public void MarkDeleted(string actor, Guid? operationId, DateTimeOffset now)
    {
        MoveTo(Deleted, "deleted", actor, operationId, now);
        DeletedAt = now;
    }

    /// <summary>Operators' repair tool: force a stable status, outside the transition table, audited.</summary>
    public void ResetState(InstanceStatus status, string actor, string? reason, DateTimeOffset now)
    {
        if (status is not (Error or Stopped or Running))
            throw new FieldValidationException("status", "reset-state accepts 'error', 'stopped' or 'running'.");
        if (Status == Deleted)
            throw new InvalidStateException($"Instance '{Id}' is deleted; it cannot be reset.");
        Record(status, "reset-state", actor, null, now, reason);
        StatusReason = status == Error ? Text.Cap(reason) ?? "Reset to error by an operator." : null;
    }

    /// <summary>Marks the claim as released; the caller releases it in the database in the same transaction.</summary>
    public void ReleaseResources() => ResourcesClaimed = false;

    /// <summary>Marks the claim as re-taken (after a reset-state); the caller claimed it in the same transaction.</summary>
    public void ReclaimResources() => ResourcesClaimed = true;

    private void Record(InstanceStatus next, string action, string actor, Guid? operationId, DateTimeOffset now, string? detail)
    {
        Actions.Add(new InstanceAction(Id, action, Status, next, actor, operationId, detail, now));
        Status = next;
    }
}
