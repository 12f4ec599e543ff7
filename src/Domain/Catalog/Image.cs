using IaasApi.Domain.Common;

namespace IaasApi.Domain.Catalog;

public enum ImageFormat { Qcow2, Raw }

/// <summary>An OS template that instances boot from.</summary>
public sealed class Image : Entity
{
    private Image() { Name = ""; Os = ""; }

    public Image(string name, string os, ImageFormat format, int minDiskGiB, int sizeMiB, DateTimeOffset now) : base(now)
    {
        Name = name;
        Os = os;
        Format = format;
        MinDiskGiB = minDiskGiB;
        SizeMiB = sizeMiB;
    }

    public string Name { get; private set; }
    public string Os { get; private set; }
    public ImageFormat Format { get; private set; }
    public int MinDiskGiB { get; private set; }
    public int SizeMiB { get; private set; }

    public void Update(string? name, string? os, int? minDiskGiB)
    {
        if (name is not null) Name = name;
        if (os is not null) Os = os;
        if (minDiskGiB is { } d) MinDiskGiB = d;
    }
}
