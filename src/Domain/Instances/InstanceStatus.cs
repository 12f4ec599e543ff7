using System.Collections.Frozen;

namespace IaasApi.Domain.Instances;

public enum InstanceStatus
{
    Pending,    // accepted, waiting for capacity (best-effort queue or a reservation's start)
    Building,
    Running,
    Stopping,
    Stopped,
    Starting,
    Rebooting,
    Migrating,
    Suspended,  // preempted
    Deleting,
    Deleted,
    Error,
}

/// <summary>The explicit life cycle: which status may follow which. Anything else is an <c>invalid-state</c>.</summary>
public static class InstanceTransitions
{
    private static readonly FrozenDictionary<InstanceStatus, FrozenSet<InstanceStatus>> Allowed =
        new Dictionary<InstanceStatus, InstanceStatus[]>
        {
            [InstanceStatus.Pending]   = [InstanceStatus.Building, InstanceStatus.Deleting, InstanceStatus.Error],
            [InstanceStatus.Building]  = [InstanceStatus.Running, InstanceStatus.Error, InstanceStatus.Deleting, InstanceStatus.Suspended],
            [InstanceStatus.Running]   = [InstanceStatus.Stopping, InstanceStatus.Rebooting, InstanceStatus.Migrating,
                                          InstanceStatus.Suspended, InstanceStatus.Deleting, InstanceStatus.Error,
                                          InstanceStatus.Stopped],   // found shut off by its host's agent (the guest powered off, QEMU died)
            [InstanceStatus.Stopping]  = [InstanceStatus.Stopped, InstanceStatus.Running, InstanceStatus.Deleting, InstanceStatus.Error, InstanceStatus.Suspended],
            [InstanceStatus.Stopped]   = [InstanceStatus.Starting, InstanceStatus.Migrating, InstanceStatus.Suspended, InstanceStatus.Deleting, InstanceStatus.Error],
            [InstanceStatus.Starting]  = [InstanceStatus.Running, InstanceStatus.Stopped, InstanceStatus.Deleting, InstanceStatus.Error, InstanceStatus.Suspended],
            [InstanceStatus.Rebooting] = [InstanceStatus.Running, InstanceStatus.Deleting, InstanceStatus.Error, InstanceStatus.Suspended,
                                          InstanceStatus.Stopped],   // a restore to a snapshot that failed with the VM shut off
            [InstanceStatus.Migrating] = [InstanceStatus.Running, InstanceStatus.Stopped, InstanceStatus.Error],
            [InstanceStatus.Suspended] = [InstanceStatus.Starting, InstanceStatus.Deleting, InstanceStatus.Error],
            [InstanceStatus.Deleting]  = [InstanceStatus.Deleted, InstanceStatus.Error],
            [InstanceStatus.Error]     = [InstanceStatus.Deleting],
            [InstanceStatus.Deleted]   = [],
        }.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToFrozenSet());

    public static bool IsAllowed(InstanceStatus from, InstanceStatus to) =>
        Allowed.TryGetValue(from, out var targets) && targets.Contains(to);

    public static IReadOnlySet<InstanceStatus> From(InstanceStatus status) => Allowed[status];

    /// <summary>Statuses some job is still working on (their operation is running).</summary>
    public static bool IsTransitional(InstanceStatus s) => s is InstanceStatus.Building or InstanceStatus.Stopping
        or InstanceStatus.Starting or InstanceStatus.Rebooting or InstanceStatus.Migrating or InstanceStatus.Deleting;
}

/// <summary>How an instance's capacity is held on its host, which decides what it may take and who may take it back.</summary>
public enum ClaimKind
{
    /// <summary>Non-preemptible, outside reservations: must fit now and beside every future reservation.</summary>
    Persistent,
    /// <summary>Preemptible: may borrow reserved capacity; suspended when a reservation needs it.</summary>
    Preemptible,
    /// <summary>Inside its reservation's slot: the slot already holds the capacity on the timeline.</summary>
    InSlot,
}

/// <summary>What became of an instance when its host was declared down (<see cref="Instance.Evacuate"/>).</summary>
public enum EvacuationOutcome
{
    /// <summary>Queued (suspended) to restart on another host, in SLA priority order.</summary>
    Restart,
    /// <summary>Stays stopped, off any host.</summary>
    Stopped,
    /// <summary>Its pending delete completed.</summary>
    Deleted,
    /// <summary>In error (it was, or its reservation slot is bound to the failed host).</summary>
    LeftInError,
    /// <summary>Nothing now: it is migrating (its migration ends on the source first) or holds nothing on the host.</summary>
    NotNow,
}
