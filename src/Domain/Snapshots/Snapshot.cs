using IaasApi.Domain.Common;

namespace IaasApi.Domain.Snapshots;

public enum SnapshotStatus
{
    /// <summary>Being taken: the disk copied point-in-time (and the memory written while the guest is paused).</summary>
    Creating,
    /// <summary>Complete: the instance can be restored to it.</summary>
    Available,
    /// <summary>The instance is being restored to it (it cannot be deleted meanwhile).</summary>
    Restoring,
    Deleting,
    Deleted,
    /// <summary>Could not be taken; <see cref="Snapshot.StatusReason"/> says why.</summary>
    Error,
}

/// <summary>
/// A point-in-time copy of one instance — its disk and, when it ran and the tenant asked, its memory — kept where every
/// host reaches it, so the instance can be restored to it wherever it runs now (libvirt's snapshot-and-revert; the VM
/// runs from the snapshot's state afterwards). It belongs to its instance and goes with it.
/// </summary>
public sealed class Snapshot : Entity
{
    public const int NameMaxLength = 63;

    private Snapshot() { Name = ""; StatusReason = ""; }

    public Snapshot(Guid instanceId, Guid tenantId, string name, bool includesMemory, DateTimeOffset now) : base(now)
    {
        InstanceId = instanceId;
        TenantId = tenantId;
        Name = name;
        IncludesMemory = includesMemory;
        Status = SnapshotStatus.Creating;
        StatusReason = "";
    }

    public Guid InstanceId { get; private set; }
    public Guid TenantId { get; private set; }
    public string Name { get; private set; }
    public SnapshotStatus Status { get; private set; }
    public string StatusReason { get; private set; }
    /// <summary>The guest's memory was saved too: a restore resumes it where it was instead of booting its disk.</summary>
    public bool IncludesMemory { get; private set; }
    public int? SizeMiB { get; private set; }
    /// <summary>The operation now acting on it (create, restore, delete).</summary>
    public Guid? OperationId { get; private set; }

    public void Track(Guid operationId) => OperationId = operationId;

    public void Complete(int sizeMiB)
    {
        Require(SnapshotStatus.Creating, "complete");
        SizeMiB = sizeMiB;
        Status = SnapshotStatus.Available;
        StatusReason = "";
    }

    public void Fail(string reason)
    {
        Require(SnapshotStatus.Creating, "fail");
        Status = SnapshotStatus.Error;
        StatusReason = Text.Cap(reason) ?? "";
    }

    /// <summary>The instance is being restored to it (only an available snapshot).</summary>
    public void BeginRestore(Guid operationId)
    {
        if (Status != SnapshotStatus.Available)
            throw new InvalidStateException($"Snapshot '{Name}' is '{EnumWords.ToWord(Status)}'; only an available snapshot can be restored.");
        Status = SnapshotStatus.Restoring;
        OperationId = operationId;
    }

    public void EndRestore()
    {
        if (Status == SnapshotStatus.Restoring) Status = SnapshotStatus.Available;
    }

    /// <summary>Deletion asked (by its tenant, or with its instance). Not while a restore reads it.</summary>
    public void BeginDelete(Guid? operationId)
    {
        if (Status is SnapshotStatus.Deleting or SnapshotStatus.Deleted) return;
        if (Status == SnapshotStatus.Restoring) throw new InvalidStateException($"Snapshot '{Name}' is being restored; delete it afterwards.");
        Status = SnapshotStatus.Deleting;
        OperationId = operationId ?? OperationId;
    }

    public void MarkDeleted()
    {
        Status = SnapshotStatus.Deleted;
        StatusReason = "";
    }

    private void Require(SnapshotStatus status, string verb)
    {
        if (Status != status)
            throw new InvalidStateException($"Snapshot '{Name}' is '{EnumWords.ToWord(Status)}'; it cannot {verb}.");
    }
}
