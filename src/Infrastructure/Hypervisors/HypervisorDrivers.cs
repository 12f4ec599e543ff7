using System.Collections.Frozen;
using IaasApi.Domain.Hypervisors;

namespace IaasApi.Infrastructure.Hypervisors;

/// <summary>
/// The registered drivers, looked up by <c>Host.Hypervisor</c>, each with the capabilities its roles give it. Callers ask
/// for the role they need (<see cref="For{TRole}"/>): a host whose driver lacks it fails the work for good.
/// </summary>
public sealed class HypervisorDrivers(IEnumerable<IHypervisorDriver> drivers)
{
    private readonly FrozenDictionary<string, (IHypervisorDriver Driver, DriverCapabilities Capabilities)> _byKind =
        drivers.ToFrozenDictionary(d => d.Kind, d => (d, DriverCapabilities.Of(d)), StringComparer.Ordinal);

    /// <summary>Every hypervisor kind a host may declare, whether or not its driver runs in this process.</summary>
    public static IReadOnlyList<string> KnownKinds { get; } = ["fake", "qemu"];

    private static FrozenSet<string> _runOnHosts = FrozenSet.ToFrozenSet(["qemu"], StringComparer.Ordinal);

    /// <summary>Kinds whose driver must run on the compute host itself, served by that host's agent queue.</summary>
    public static bool RunsOnHost(string kind) => _runOnHosts.Contains(kind);

    /// <summary>
    /// Makes <paramref name="kind"/>'s hosts served by their own agents too (the fake, for fault campaigns in the
    /// production layout: <c>Iaas:FakeDriver:RunsOnHosts</c>). Process-wide and set once at start, as the queues a
    /// Hangfire server serves are: every process of a cloud must agree.
    /// </summary>
    public static void RunOnHosts(string kind) => _runOnHosts = _runOnHosts.Append(kind).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The kinds this process can drive (placement only picks hosts of these kinds).</summary>
    public IReadOnlySet<string> Kinds { get; } = drivers.Select(d => d.Kind).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The capabilities of the driver for <paramref name="kind"/>, or null when this process has none.</summary>
    public DriverCapabilities? CapabilitiesOf(string kind) => _byKind.TryGetValue(kind, out var entry) ? entry.Capabilities : null;

    /// <summary>The life cycle of <paramref name="kind"/>'s VMs and hosts.</summary>
    public IHypervisorDriver For(string kind) => For<IHypervisorDriver>(kind);

    /// <summary>
    /// The driver for <paramref name="kind"/> in the role <typeparamref name="TRole"/> (<see cref="ISnapshotDriver"/>,
    /// <see cref="ILiveMigrationDriver"/>, …). Permanent failure when this process has no such driver or it cannot do that.
    /// </summary>
    public TRole For<TRole>(string kind) where TRole : class
    {
        if (!_byKind.TryGetValue(kind, out var entry))
            throw new HypervisorException($"No '{kind}' hypervisor driver is available in this worker process.", isTransient: false);
        return entry.Driver as TRole
               ?? throw new HypervisorException($"The '{kind}' hypervisor driver cannot do this: it does not implement {typeof(TRole).Name}.", isTransient: false);
    }
}
