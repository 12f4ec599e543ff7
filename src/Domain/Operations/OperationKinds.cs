namespace IaasApi.Domain.Operations;

/// <summary>Operation kinds are <c>&lt;resource&gt;.&lt;verb&gt;</c> (API.md).</summary>
public static class OperationKinds
{
    public const string InstanceCreate = "instance.create";
    public const string InstanceStart = "instance.start";
    public const string InstanceStop = "instance.stop";
    public const string InstanceReboot = "instance.reboot";
    public const string InstanceDelete = "instance.delete";
    /// <summary>Preemption: the VM's state is saved and its host capacity returned to a reservation.</summary>
    public const string InstanceSuspend = "instance.suspend";
    /// <summary>A suspended instance got capacity back: its saved state is restored on a host.</summary>
    public const string InstanceResume = "instance.resume";
    /// <summary>A reservation ended with onEnd "stop": the VM is saved off its host and its capacity returned.</summary>
    public const string InstanceShelve = "instance.shelve";
    /// <summary>The instance put back to one of its snapshots, and run from it.</summary>
    public const string InstanceRestore = "instance.restore";
    /// <summary>A snapshot of an instance taken (its disk, and its memory if asked).</summary>
    public const string SnapshotCreate = "snapshot.create";
    public const string SnapshotDelete = "snapshot.delete";
    /// <summary>A migration of the instance to another host (the migration resource holds its stages).</summary>
    public const string InstanceMigrate = "instance.migrate";
    /// <summary>A host in maintenance being emptied: its running instances live-migrated away.</summary>
    public const string HostDrain = "host.drain";
    /// <summary>A host declared down (missed heartbeats): its instances restarted elsewhere, in SLA priority order.</summary>
    public const string HostEvacuate = "host.evacuate";
    /// <summary>A down host heard from again: the stale copies of its evacuated VMs destroyed before it serves again.</summary>
    public const string HostFence = "host.fence";
    /// <summary>A host powered off to save energy (consolidation, or an operator): only an empty one.</summary>
    public const string HostPowerOff = "host.power-off";
    /// <summary>A powered-off host booted: placement needs it, or an operator asked.</summary>
    public const string HostPowerOn = "host.power-on";
    /// <summary>A consolidation plan executed: migrations, then the freed hosts powered off.</summary>
    public const string ZoneConsolidate = "zone.consolidate";
    /// <summary>A rebalancing plan executed: migrations from the most to the least loaded hosts.</summary>
    public const string ZoneRebalance = "zone.rebalance";
}

/// <summary>Who did something, as written in audit trails.</summary>
public static class Actors
{
    public const string Worker = "system:worker";
    public const string Reconciler = "system:reconciler";
    public const string Scheduler = "system:scheduler";
    public const string HostMonitor = "system:host-monitor";

    public static string Key(Guid keyId) => $"key:{keyId}";
}
