using IaasApi.Domain.Inventory;

namespace IaasApi.Infrastructure.Hosts;

/// <summary>
/// Work a host that went down takes part in, which must end before its instances are evacuated (a feature registers
/// one: the migrations to and from it end first, so what stays on it is evacuated with the rest).
/// </summary>
public interface IHostDownWork
{
    Task EndAsync(Host host, CancellationToken ct);
}
