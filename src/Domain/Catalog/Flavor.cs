using IaasApi.Domain.Common;

namespace IaasApi.Domain.Catalog;

public enum FlavorFamily { General, Compute, Memory }

/// <summary>An instance type: the resources one instance consumes. Instances copy it at creation.</summary>
public sealed class Flavor : Entity, INamed
{
    private Flavor() { Name = ""; RequiredCpuFeatures = []; RequiredTraits = []; ForbiddenTraits = []; }

    public Flavor(string name, Resources resources, FlavorFamily family, DateTimeOffset now) : base(now)
    {
        Name = name;
        Resources = resources;
        Family = family;
        RequiredCpuFeatures = [];
        RequiredTraits = [];
        ForbiddenTraits = [];
    }

    public string Name { get; private set; }
    public Resources Resources { get; private set; }
    public FlavorFamily Family { get; private set; }
    public string? RequiredCpuModel { get; private set; }
    public List<string> RequiredCpuFeatures { get; private set; }
    public List<string> RequiredTraits { get; private set; }
    public List<string> ForbiddenTraits { get; private set; }

    public PlacementHints Hints => new(RequiredCpuModel, RequiredCpuFeatures, RequiredTraits, ForbiddenTraits);

    /// <summary>Placement requirements are part of what an instance was promised: immutable while it is used, like resources.</summary>
    public void SetHints(PlacementHints hints, bool inUse)
    {
        if (inUse && !SameHints(hints)) throw new ConflictException($"Flavor '{Name}' is used by instances; its placement requirements are immutable.");
        RequiredCpuModel = hints.CpuModel;
        RequiredCpuFeatures = hints.CpuFeatures.ToList();
        RequiredTraits = hints.RequiredTraits.ToList();
        ForbiddenTraits = hints.ForbiddenTraits.ToList();
    }

    private bool SameHints(PlacementHints h) => h.CpuModel == RequiredCpuModel && h.CpuFeatures.SequenceEqual(RequiredCpuFeatures)
        && h.RequiredTraits.SequenceEqual(RequiredTraits) && h.ForbiddenTraits.SequenceEqual(ForbiddenTraits);

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
