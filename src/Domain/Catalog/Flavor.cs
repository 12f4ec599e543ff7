using IaasApi.Domain.Common;

namespace IaasApi.Domain.Catalog;

public enum FlavorFamily { General, Compute, Memory }

/// <summary>An instance type: the resources one instance consumes. Instances copy it at creation.</summary>
public sealed class Flavor : Entity
{
    private Flavor() { Name = ""; }

    public Flavor(string name, Resources resources, FlavorFamily family, DateTimeOffset now) : base(now)
    {
        Name = name;
        Resources = resources;
        Family = family;
    }

    public string Name { get; private set; }
    public Resources Resources { get; private set; }
    public FlavorFamily Family { get; private set; }

    public void Rename(string name) => Name = name;

    /// <summary>Resources are immutable once any live instance uses the flavor; the caller says whether one does.</summary>
    public void Resize(Resources resources, bool inUse)
    {
        if (resources == Resources) return;
        if (inUse) throw new ConflictException($"Flavor '{Name}' is used by instances; its resources are immutable. Create a new flavor instead.");
        Resources = resources;
    }

    public void SetFamily(FlavorFamily family) => Family = family;
}
