using IaasApi.Domain.Common;

namespace IaasApi.Domain.ServerGroups;

/// <summary>
/// Hard policies are filters (a host that breaks them is never chosen); soft ones are weighers (preferred, not
/// promised) — Nova's server group semantics.
/// </summary>
public enum ServerGroupPolicy { Affinity, AntiAffinity, SoftAffinity, SoftAntiAffinity }

/// <summary>A tenant's group of instances placed together (affinity) or apart (anti-affinity).</summary>
public sealed class ServerGroup : Entity, INamed
{
    public const int MaxPerHostLimit = 1000;

    private ServerGroup() { Name = ""; }

    public ServerGroup(Guid tenantId, string name, ServerGroupPolicy policy, int? maxPerHost, DateTimeOffset now) : base(now)
    {
        TenantId = tenantId;
        Name = name;
        Policy = policy;
        MaxPerHost = maxPerHost;
    }

    public Guid TenantId { get; private set; }
    public string Name { get; private set; }
    public ServerGroupPolicy Policy { get; private set; }
    /// <summary>For anti-affinity: how many members one host may hold (default 1). Ignored by the other policies.</summary>
    public int? MaxPerHost { get; private set; }

    public void Rename(string name) => Name = name;
}
