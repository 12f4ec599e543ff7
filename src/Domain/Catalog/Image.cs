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

    /// <summary>A private image's tenant (a snapshot it took); null for the cloud's public catalog.</summary>
    public Guid? OwnerTenantId { get; private set; }
    /// <summary>The instance a snapshot image was taken from.</summary>
    public Guid? SourceInstanceId { get; private set; }

    /// <summary>A snapshot of an instance's disk, private to its tenant, with the source image's OS and placement needs.</summary>
    public static Image SnapshotOf(Instances.Instance instance, Image? source, string name, int sizeMiB, DateTimeOffset now)
    {
        var image = new Image(name, source?.Os ?? "unknown", ImageFormat.Qcow2, instance.Resources.DiskGiB, sizeMiB, now)
        {
            OwnerTenantId = instance.TenantId,
            SourceInstanceId = instance.Id,
        };
        if (source is not null) image.SetPlacement(source.Hypervisor, source.Hints);
        return image;
    }

    /// <summary>Whether <paramref name="tenantId"/> (null: an admin) may see and boot this image.</summary>
    public bool IsVisibleTo(Guid? tenantId) => OwnerTenantId is null || tenantId is null || OwnerTenantId == tenantId;

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
