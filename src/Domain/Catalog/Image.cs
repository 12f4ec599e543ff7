using IaasApi.Domain.Common;

namespace IaasApi.Domain.Catalog;

public enum ImageFormat { Qcow2, Raw }

/// <summary>An OS template that instances boot from.</summary>
public sealed class Image : Entity
{
    private Image() { Name = ""; Os = ""; RequiredCpuFeatures = []; RequiredTraits = []; ForbiddenTraits = []; }

    public Image(string name, string os, ImageFormat format, int minDiskGiB, int sizeMiB, DateTimeOffset now) : base(now)
    {
        Name = name;
        Os = os;
        Format = format;
        MinDiskGiB = minDiskGiB;
        SizeMiB = sizeMiB;
        RequiredCpuFeatures = [];
        RequiredTraits = [];
        ForbiddenTraits = [];
    }

    public string Name { get; private set; }
    public string Os { get; private set; }
    public ImageFormat Format { get; private set; }
    public int MinDiskGiB { get; private set; }
    public int SizeMiB { get; private set; }
    /// <summary>A hypervisor kind the image only runs on (e.g. a qemu-specific guest), or null for any.</summary>
    public string? Hypervisor { get; private set; }
    public string? RequiredCpuModel { get; private set; }
    public List<string> RequiredCpuFeatures { get; private set; }
    public List<string> RequiredTraits { get; private set; }
    public List<string> ForbiddenTraits { get; private set; }

    public PlacementHints Hints => new(RequiredCpuModel, RequiredCpuFeatures, RequiredTraits, ForbiddenTraits);

    public void SetPlacement(string? hypervisor, PlacementHints hints)
    {
        Hypervisor = hypervisor;
        RequiredCpuModel = hints.CpuModel;
        RequiredCpuFeatures = hints.CpuFeatures.ToList();
        RequiredTraits = hints.RequiredTraits.ToList();
        ForbiddenTraits = hints.ForbiddenTraits.ToList();
    }

    public void Update(string? name, string? os, int? minDiskGiB)
    {
        if (name is not null) Name = name;
        if (os is not null) Os = os;
        if (minDiskGiB is { } d) MinDiskGiB = d;
    }
}
