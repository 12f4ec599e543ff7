using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;

namespace IaasApi.Infrastructure.Persistence;

/// <summary>What drivers are given, read from the database: an instance's spec, a host's address.</summary>
public static class InstanceSpecs
{
    /// <summary>What a driver needs of an instance: its resources, its image's name and where its disk lives (a shared pool's name, or local).</summary>
    public static async Task<InstanceSpec> OfAsync(IaasDbContext db, Instance instance, CancellationToken ct)
    {
        var image = instance.ImageId is { } imageId
            ? await db.Images.AsNoTracking().Where(i => i.Id == imageId).Select(i => i.Name).SingleOrDefaultAsync(ct)
            : null;
        var pool = instance.StoragePoolId is { } poolId
            ? await db.StoragePools.AsNoTracking().Where(p => p.Id == poolId).Select(p => p.Name).SingleOrDefaultAsync(ct)
            : null;
        return new InstanceSpec(instance.Id, instance.Name, instance.Resources, instance.ImageId, image, instance.UserData, pool);
    }
}

public static class HostRefs
{
    /// <summary>The host as drivers address it, or null when no such host exists (any more).</summary>
    public static Task<HostRef?> FindAsync(IaasDbContext db, Guid? id, CancellationToken ct) =>
        db.Hosts.AsNoTracking().Where(h => h.Id == id).Select(h => new HostRef(h.Id, h.Name, h.Hypervisor)).SingleOrDefaultAsync(ct);

    /// <summary>
    /// Whether the instance's VM was left on a host that is down (the instance was evacuated off it): nothing there can be
    /// reached, nor need be — the host's fencing destroys the copy when it answers again.
    /// </summary>
    public static async Task<bool> LeftOnDownHostAsync(IaasDbContext db, Instance instance, CancellationToken ct) =>
        instance.HostId is null && instance.LastHostId is { } left
        && await db.Hosts.AsNoTracking().AnyAsync(h => h.Id == left && h.State == Domain.Inventory.HostState.Down, ct);
}
