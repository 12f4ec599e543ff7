using IaasApi.Domain.Inventory;

namespace IaasApi.Infrastructure.Hosts;

/// <summary>
/// Work a host that went down takes part in, which must end before its instances are evacuated (a feature registers
/// one: the migrations to and from it end first, so what stays on it is evacuated with the rest).
/// </summary>
public interface IHostDownWork
{
    /// <summary>
    /// Ends what it can; true when nothing of it holds an instance on the host any more (the host may be evacuated). False:
    /// something changed meanwhile — the host's evacuation waits for the next tick, which asks again.
    /// </summary>
    Task<bool> EndAsync(Host host, CancellationToken ct);
}
