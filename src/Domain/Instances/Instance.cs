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
    /// <summary>
    /// The host it is on: the one holding its capacity (<see cref="Resources"/> counted in that host's allocation). Null
    /// while it holds capacity nowhere — waiting for a host, evacuated off a failed one, preempted, shelved, deleted — so
    /// nothing placement counts (server groups, per-host caps, planners) sees it on a host it has left.
    /// </summary>
    public Guid? HostId { get; private set; }
    /// <summary>The host it was last on, once it left it (kept when <see cref="HostId"/> is cleared): history, and where a VM it left behind is.</summary>
    public Guid? LastHostId { get; private set; }
    /// <summary>Where its VM is, or what is left of it: its host, else the host it was last on (a preempted VM still being saved there).</summary>
    public Guid? VmHostId => HostId ?? LastHostId;
    public Guid? ServerGroupId { get; private set; }
    /// <summary>How this instance got (or waits for) its capacity.</summary>
    public Catalog.ProvisioningScheme Scheme { get; private set; }
    /// <summary>From its SLA plan: may be suspended to give capacity back to a reservation.</summary>
    public bool Preemptible { get; private set; }
    /// <summary>From its SLA plan: queue order and preemption order (higher first in the queue, last to be preempted).</summary>
    public int Priority { get; private set; }
    /// <summary>The reservation whose slot this instance runs in (or waits for).</summary>
    public Guid? ReservationId { get; private set; }
    /// <summary>When it joined the best-effort queue (pending, or suspended after a preemption).</summary>
    public DateTimeOffset? QueuedAt { get; private set; }
    /// <summary>A queued instance still waiting at this time fails (maxWaitSeconds).</summary>
    public DateTimeOffset? ExpiresAt { get; private set; }
    /// <summary>How its host capacity is held (and released), set with every claim.</summary>
    public ClaimKind ClaimKind { get; private set; }

    /// <summary>True while the tenant's usage counts this instance (released when deleted, or when it never ran).</summary>
    public bool QuotaClaimed { get; private set; }
    /// <summary>The flavor's resources copied at creation: what was claimed is what is released.</summary>
    public Resources Resources { get; private set; }
    /// <summary>
    /// The shared storage pool its disk lives on; null: its host's local disk. A pooled disk needs no local disk, so
    /// its <see cref="Resources"/> (what the host counts) hold no disk and <see cref="PooledDiskGiB"/> says its size.
    /// </summary>
    public Guid? StoragePoolId { get; private set; }

    /// <summary>
    /// How the guest used its memory when its host's agent last looked (<see cref="GuestMeasuredAt"/>): non-zero MiB,
    /// the MiB it dirtied in a second (its writable working set) and that rate — what the pre-copy model predicts from.
    /// </summary>
    public double? GuestTouchedMiB { get; private set; }
    public double? GuestWorkingSetMiB { get; private set; }
    public double? GuestDirtyRateMiBps { get; private set; }
    public DateTimeOffset? GuestMeasuredAt { get; private set; }
    /// <summary>The disk's size while it lives on <see cref="StoragePoolId"/> (the pool's allocation holds it).</summary>
    public int PooledDiskGiB { get; private set; }
    /// <summary>The disk's size wherever it lives.</summary>
    public int DiskGiB => StoragePoolId is null ? Resources.DiskGiB : PooledDiskGiB;
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
            QuotaClaimed = true,
            OperationId = operationId,
            Status = Building,
            ClaimKind = ClaimKind.Persistent,
        };
        instance.Actions.Add(new InstanceAction(instance.Id, "create", null, Building, actor, operationId, null, now));
        return instance;
    }

    /// <summary>
    /// A new instance that waits for capacity (status <c>pending</c>): in the best-effort queue, or for its
    /// reservation to start. Its quota is claimed; its host is chosen when it starts.
    /// </summary>
    public static Instance Queue(string name, Guid tenantId, Guid flavorId, Guid imageId, Guid slaPlanId, Resources resources,
                                 string? userData, Guid? zoneId, string actor, Guid operationId, DateTimeOffset now, Guid? serverGroupId,
                                 Catalog.ProvisioningScheme scheme, Guid? reservationId, DateTimeOffset? expiresAt, string reason)
    {
        var instance = new Instance(name, tenantId, flavorId, imageId, slaPlanId, resources, userData, now)
        {
            ServerGroupId = serverGroupId,
            ZoneId = zoneId,
            QuotaClaimed = true,
            OperationId = operationId,
            Status = Pending,
            Scheme = scheme,
            ReservationId = reservationId,
            QueuedAt = now,
            ExpiresAt = expiresAt,
            StatusReason = reason,
        };
        instance.Actions.Add(new InstanceAction(instance.Id, "queue", null, Pending, actor, operationId, reason, now));
        return instance;
    }

    /// <summary>The SLA terms this instance runs under, fixed at creation.</summary>
    public Instance Under(Catalog.SlaPlan plan, Catalog.ProvisioningScheme scheme, Guid? reservationId)
    {
        Preemptible = plan.Preemptible;
        Priority = plan.Priority;
        Scheme = scheme;
        ReservationId ??= reservationId;
        ClaimKind = ReservationId is not null ? ClaimKind.InSlot : Preemptible ? ClaimKind.Preemptible : ClaimKind.Persistent;
        return this;
    }

    /// <summary>The kind of claim this instance takes outside a reservation slot.</summary>
    public ClaimKind OwnKind => Preemptible ? ClaimKind.Preemptible : ClaimKind.Persistent;

    /// <summary>A waiting (pending) instance got capacity on <paramref name="hostId"/>: it builds now.</summary>
    public void StartBuilding(Guid hostId, Guid zoneId, ClaimKind kind, string actor, Guid operationId, DateTimeOffset now, string detail)
    {
        MoveTo(Building, "dequeue", actor, operationId, now, detail);
        HostId = hostId;
        ZoneId = zoneId;
        ClaimKind = kind;
        QueuedAt = null;
        ExpiresAt = null;
        StatusReason = null;
    }

    /// <summary>
    /// Preempted for a reservation: the VM's state is saved off the host (its claim is released by the caller) and the
    /// instance waits in the best-effort queue to resume wherever capacity frees.
    /// </summary>
    public void Suspend(string actor, Guid operationId, DateTimeOffset now, string reason)
    {
        MoveTo(Suspended, "preempted", actor, operationId, now, reason);
        OperationId = operationId;
        StatusReason = Text.Cap(reason);
        QueuedAt = now;
    }

    /// <summary>
    /// Its host was declared down (the caller releases its claim on that host in the same transaction). What a
    /// cloud does with each status: a VM that was running or being brought up restarts elsewhere — it joins the queue
    /// as <c>suspended</c>, restarted in SLA priority order as capacity allows; a stopped (or stopping) one stays
    /// stopped, off any host (start places it again); a delete completes (the stale copy is destroyed when the host is
    /// fenced); one in error, or running in a reservation's slot (slots are bound to their hosts), ends in error.
    /// A migrating instance is left to its migration, which ends on the source first. The host's operation
    /// (<paramref name="operationId"/>, an admin's) is recorded in the audit trail; the instance's own operation stays
    /// the tenant's last one.
    /// </summary>
    public EvacuationOutcome Evacuate(string hostName, string actor, Guid operationId, DateTimeOffset now)
    {
        var why = $"Host '{hostName}' stopped answering and was declared down";
        switch (Status)
        {
            case Migrating or Deleted or Pending or Suspended:
                return EvacuationOutcome.NotNow;
            case Deleting:
                MoveTo(Deleted, "deleted", actor, operationId, now, $"{why}; the delete completed without it (its copy is destroyed when the host is fenced).");
                DeletedAt = now;
                return EvacuationOutcome.Deleted;
            case Error:
                Note("host-failed", actor, operationId, now, $"{why}; the instance stays in error, its capacity there released.");
                return EvacuationOutcome.LeftInError;
            case Stopping or Stopped:
                if (Status == Stopping) MoveTo(Stopped, "host-failed", actor, operationId, now, $"{why}.");
                else Note("host-failed", actor, operationId, now, $"{why}.");
                StatusReason = Text.Cap($"{why} while it was stopped; starting it places it on another host.");
                return EvacuationOutcome.Stopped;
            case var _ when ClaimKind == ClaimKind.InSlot:
                Fail($"{why}. It ran in a slot of reservation {ReservationId}, bound to that host: delete it, or launch a new instance into the reservation.",
                    actor, operationId, now);
                return EvacuationOutcome.LeftInError;
            default:     // running, building, starting, rebooting
                MoveTo(Suspended, "host-failed", actor, operationId, now, $"{why}; restarting it elsewhere.");
                StatusReason = Text.Cap($"{why}. It restarts on another host, in SLA priority order, as soon as one can take it.");
                QueuedAt = now;
                ExpiresAt = null;
                return EvacuationOutcome.Restart;
        }
    }

    /// <summary>Told it will be preempted (the notice period before a reservation starts); recorded in its audit trail.</summary>
    public void NoticePreemption(string actor, DateTimeOffset now, string reason)
    {
        StatusReason = Text.Cap(reason);
        Actions.Add(new InstanceAction(Id, "preemption-notice", Status, Status, actor, OperationId, reason, now));
    }

    /// <summary>A suspended instance got capacity on <paramref name="hostId"/>: its saved state is restored there.</summary>
    public void Resume(Guid hostId, Guid zoneId, string actor, Guid operationId, DateTimeOffset now)
    {
        MoveTo(Starting, "resume", actor, operationId, now, $"Capacity found after {Math.Max(0, (now - (QueuedAt ?? now)).TotalSeconds):0} s suspended.");
        OperationId = operationId;
        HostId = hostId;
        ZoneId = zoneId;
        ClaimKind = OwnKind;
        QueuedAt = null;
        StatusReason = null;
    }

    /// <summary>The reservation ended: the instance no longer runs in its slot (its claim was released, or is now its own).</summary>
    public void LeaveReservation(string reason)
    {
        ReservationId = null;
        ClaimKind = OwnKind;
        StatusReason = Text.Cap(reason);
    }

    /// <summary>Expired in the queue, or its reservation ended before it ran: it fails without ever having had a host.</summary>
    public void GiveUpWaiting(string reason, string actor, Guid? operationId, DateTimeOffset now)
    {
        Fail(reason, actor, operationId, now);
        QueuedAt = null;
        ExpiresAt = null;
    }

    /// <summary>
    /// A migration's commitment: the instance now lives on <paramref name="targetHostId"/> (the caller moves the claim
    /// in the same transaction) and is what it was before it began migrating.
    /// </summary>
    public void CommitMigration(Guid targetHostId, InstanceStatus after, string actor, Guid operationId, DateTimeOffset now, string detail)
    {
        if (Status != Migrating) throw new InvalidStateException($"Instance '{Id}' is '{EnumWords.ToWord(Status)}', not migrating.");
        if (after == Migrating) Note("migrated", actor, operationId, now, detail);     // still to be started on the target (cold)
        else MoveTo(after, "migrated", actor, operationId, now, detail);
        LastHostId = HostId;
        HostId = targetHostId;
    }

    /// <summary>
    /// A storage migration's commitment: the disk now lives on <paramref name="poolId"/>. The caller moves the capacity in
    /// the same transaction: the local disk (<see cref="Resources"/>' disk) released on the host, the pool's claimed. The
    /// instance reads migrating until the VM runs on the copy (the activation's pivot).
    /// </summary>
    public void CommitDiskMove(Guid poolId, string actor, Guid operationId, DateTimeOffset now, string detail)
    {
        if (Status != Migrating) throw new InvalidStateException($"Instance '{Id}' is '{EnumWords.ToWord(Status)}', not migrating.");
        if (StoragePoolId is null)
        {
            PooledDiskGiB = Resources.DiskGiB;
            Resources = Resources with { DiskGiB = 0 };
        }
        StoragePoolId = poolId;
        Note("migrated", actor, operationId, now, detail);      // migrating still, until the VM runs on the copy (activation)
    }

    /// <summary>A step that changes nothing of the status but belongs in the audit trail (a migration's activation).</summary>
    public void Note(string action, string actor, Guid? operationId, DateTimeOffset now, string detail) =>
        Actions.Add(new InstanceAction(Id, action, Status, Status, actor, operationId, detail, now));

    /// <summary>An operation now acts on this instance without changing its status (a stopped VM being shelved).</summary>
    public void Track(Guid operationId) => OperationId = operationId;

    /// <summary>Updates why a queued instance still waits (queue position, what is missing).</summary>
    public void StillWaiting(string reason) => StatusReason = Text.Cap(reason);

    /// <summary>The usage of this instance no longer counts for its tenant (deleted, or never ran); the caller releases it.</summary>
    public void ReleaseQuota() => QuotaClaimed = false;

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

    /// <summary>
    /// Its capacity on its host is released (the caller releases it in the database in the same transaction): it is on
    /// no host any more, and remembers the one it left.
    /// </summary>
    public void ReleaseResources()
    {
        if (HostId is null) return;
        LastHostId = HostId;
        HostId = null;
    }

    /// <summary>Its capacity on <paramref name="hostId"/> is taken again (an operator's reset-state); the caller claimed it in the same transaction.</summary>
    public void ReclaimResources(Guid hostId, ClaimKind kind)
    {
        HostId = hostId;
        ClaimKind = kind;
    }

    private void Record(InstanceStatus next, string action, string actor, Guid? operationId, DateTimeOffset now, string? detail)
    {
        Actions.Add(new InstanceAction(Id, action, Status, next, actor, operationId, detail, now));
        Status = next;
    }
}
