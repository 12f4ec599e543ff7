namespace IaasApi.Domain.Common;

/// <summary>Sizes and bounds shared by validators and the database model.</summary>
public static class Limits
{
    public const int NameMaxLength = 63;          // a DNS label: names become hostnames and queue names
    public const int ShortTextMaxLength = 255;
    public const int DetailMaxLength = 2000;
    public const int TagMaxLength = 64;           // one trait or CPU feature
    public const int MaxTags = 64;
    public const int UserDataMaxBytes = 64 * 1024;

    // Upper bounds that keep every sum inside a 32-bit integer with room to spare: a single host
    // of 4,096 vCPUs, 16 TiB of memory, 1 PiB of disk and 1 Tbps of network is beyond any real machine.
    public const int MaxVcpus = 4096;
    public const int MaxMemoryMiB = 16 * 1024 * 1024;
    public const int MaxDiskGiB = 1024 * 1024;
    public const int MaxNetworkMbps = 1_000_000;
    public const double MaxAllocationRatio = 64;
    public const int MaxBatchCount = 100;
    /// <summary>The longest a best-effort request may ask to wait (30 days).</summary>
    public const int MaxWaitSeconds = 30 * 24 * 3600;
    /// <summary>The longest grace period after a reservation's end (1 day).</summary>
    public const int MaxGraceSeconds = 24 * 3600;
}
