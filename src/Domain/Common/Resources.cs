namespace IaasApi.Domain.Common;

/// <summary>
/// An amount of the four resources a host offers and an instance consumes. The only arithmetic value object:
/// capacity, reserved, allocated and demand are all expressed in it.
/// </summary>
public readonly record struct Resources(int Vcpus, int MemoryMiB, int DiskGiB, int NetworkMbps)
{
    public static Resources Zero => default;

    public static Resources operator +(Resources a, Resources b) =>
        new(a.Vcpus + b.Vcpus, a.MemoryMiB + b.MemoryMiB, a.DiskGiB + b.DiskGiB, a.NetworkMbps + b.NetworkMbps);

    public static Resources operator -(Resources a, Resources b) =>
        new(a.Vcpus - b.Vcpus, a.MemoryMiB - b.MemoryMiB, a.DiskGiB - b.DiskGiB, a.NetworkMbps - b.NetworkMbps);

    /// <summary><paramref name="n"/> times <paramref name="a"/>, saturating at <see cref="int.MaxValue"/> (never more than any host holds).</summary>
    public static Resources operator *(Resources a, int n) =>
        new(Saturate((long)a.Vcpus * n), Saturate((long)a.MemoryMiB * n), Saturate((long)a.DiskGiB * n), Saturate((long)a.NetworkMbps * n));

    private static int Saturate(long v) => (int)Math.Clamp(v, int.MinValue, int.MaxValue);

    public bool IsNonNegative => Vcpus >= 0 && MemoryMiB >= 0 && DiskGiB >= 0 && NetworkMbps >= 0;
}
