using IaasApi.Domain.Common;

namespace IaasApi.Domain.Inventory;

/// <summary>An availability zone: a failure domain inside a region (own power, cooling, top-of-rack network).</summary>
public sealed class Zone : Entity, INamed
{
    private Zone() { Name = ""; }

    public Zone(string name, Guid regionId, DateTimeOffset now) : base(now)
    {
        Name = name;
        RegionId = regionId;
    }

    public string Name { get; private set; }
    public Guid RegionId { get; private set; }

    public void Rename(string name) => Name = name;
}
