namespace IaasApi.Domain.Common;

/// <summary>A resource known by a unique name that an update may change (regions, zones, flavors, tenants, pools, groups).</summary>
public interface INamed
{
    string Name { get; }

    void Rename(string name);
}
