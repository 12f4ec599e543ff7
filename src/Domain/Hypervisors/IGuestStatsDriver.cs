using IaasApi.Domain.Migrations;

namespace IaasApi.Domain.Hypervisors;

/// <summary>A driver that can look inside a running guest's memory use (what the migration planner predicts from).</summary>
public interface IGuestStatsDriver
{
    /// <summary>
    /// How the guest uses its memory now: touched memory, writable working set and dirty rate (QEMU: <c>calc-dirty-rate</c>
    /// and <c>query-dirty-rate</c>). What the pre-copy model predicts a migration from.
    /// </summary>
    Task<GuestMemory> GetGuestMemoryAsync(HostRef host, Guid instanceId, CancellationToken ct);
}
