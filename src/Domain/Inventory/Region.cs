using IaasApi.Domain.Common;

namespace IaasApi.Domain.Inventory;

public sealed class Region : Entity, INamed
{
    private Region() { Name = ""; }

    public Region(string name, DateTimeOffset now) : base(now) => Name = name;

    public string Name { get; private set; }

    public void Rename(string name) => Name = name;
}
