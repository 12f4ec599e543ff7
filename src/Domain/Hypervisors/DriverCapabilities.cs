namespace IaasApi.Domain.Hypervisors;

/// <summary>
/// What a driver can do; feeds placement filters (e.g. plans that need live migration). Not declared by a driver but
/// read off the roles it implements (<see cref="Of"/>), so a capability and the methods behind it cannot disagree.
/// </summary>
public sealed record DriverCapabilities(bool PowerControl, bool LiveMigration, bool ColdMigration, bool Snapshots)
{
    /// <summary>
    /// The capabilities of <paramref name="driver"/>. Power control (start, stop, reboot a VM) is part of the life cycle
    /// every <see cref="IHypervisorDriver"/> implements, so every driver has it; the rest is a role each.
    /// </summary>
    public static DriverCapabilities Of(IHypervisorDriver driver) => new(
        PowerControl: true,
        LiveMigration: driver is ILiveMigrationDriver,
        ColdMigration: driver is IColdMigrationDriver,
        Snapshots: driver is ISnapshotDriver);
}

/// <summary>The capability words used by SLA plans and the hypervisor filter.</summary>
public static class CapabilityNames
{
    public const string PowerControl = "power-control";
    public const string LiveMigration = "live-migration";
    public const string ColdMigration = "cold-migration";
    public const string Snapshots = "snapshots";

    public static IReadOnlyList<string> All { get; } = [PowerControl, LiveMigration, ColdMigration, Snapshots];

    public static bool Has(this DriverCapabilities caps, string capability) => capability switch
    {
        PowerControl => caps.PowerControl,
        LiveMigration => caps.LiveMigration,
        ColdMigration => caps.ColdMigration,
        Snapshots => caps.Snapshots,
        _ => false,
    };
}
