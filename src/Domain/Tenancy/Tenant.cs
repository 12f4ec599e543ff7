using IaasApi.Domain.Common;

namespace IaasApi.Domain.Tenancy;

/// <summary>Limits per tenant. −1 means unlimited (Nova's convention).</summary>
public readonly record struct Quotas(int Instances, int Vcpus, int MemoryMiB)
{
    public const int Unlimited = -1;

    /// <summary>Nova's defaults: 10 instances, 20 cores, 50 GiB of memory.</summary>
    public static Quotas Default => new(10, 20, 51200);
}

/// <summary>What a tenant holds right now; claimed and released by conditional updates in the database.</summary>
public readonly record struct Usage(int Instances, int Vcpus, int MemoryMiB)
{
    public static Usage Of(Resources r, int count) => new(count, r.Vcpus * count, r.MemoryMiB * count);
}

/// <summary>A project that owns instances.</summary>
public sealed class Tenant : Entity, INamed
{
    private Tenant() { Name = ""; }

    public Tenant(string name, Quotas quotas, DateTimeOffset now) : base(now)
    {
        Name = name;
        Quotas = quotas;
    }

    public string Name { get; private set; }
    public Quotas Quotas { get; private set; }
    public Usage Usage { get; private set; }

    public void Rename(string name) => Name = name;

    /// <summary>Lowering a quota below current usage is allowed (nothing is evicted); new requests are refused.</summary>
    public void SetQuotas(Quotas quotas) => Quotas = quotas;

    /// <summary>Which quotas the extra usage would exceed; empty when it fits. Same rule as the database claim.</summary>
    public static IReadOnlyList<string> Exceeds(Quotas q, Usage current, Usage extra)
    {
        var exceeded = new List<string>(3);
        if (Over(q.Instances, current.Instances, extra.Instances)) exceeded.Add("instances");
        if (Over(q.Vcpus, current.Vcpus, extra.Vcpus)) exceeded.Add("vcpus");
        if (Over(q.MemoryMiB, current.MemoryMiB, extra.MemoryMiB)) exceeded.Add("memoryMiB");
        return exceeded;

        // Unlimited still stops where the counter would overflow: the same rule as the database claim.
        static bool Over(int limit, int used, int more) => (long)used + more > (limit == Quotas.Unlimited ? int.MaxValue : limit);
    }
}
