using IaasApi.Domain.Common;

namespace IaasApi.Domain.Inventory;

/// <summary>
/// A shared datastore of a zone (NFS, Ceph, a SAN): every host of the zone reaches it, so a VM whose disk lives there
/// needs no local disk on its host, and it survives the host. A VM's disk starts on its host's local disk; a storage
/// migration moves it to a pool while the VM runs. <see cref="AllocatedGiB"/> is maintained by conditional UPDATEs, as
/// hosts' allocations are.
/// </summary>
public sealed class StoragePool : Entity, INamed
{
    private StoragePool() { Name = ""; }

    public StoragePool(string name, Guid zoneId, int capacityGiB, DateTimeOffset now) : base(now)
    {
        if (capacityGiB <= 0) throw new FieldValidationException("capacityGiB", "'capacityGiB' must be positive.");
        Name = name;
        ZoneId = zoneId;
        CapacityGiB = capacityGiB;
    }

    public string Name { get; private set; }
    public Guid ZoneId { get; private set; }
    public int CapacityGiB { get; private set; }
    public int AllocatedGiB { get; private set; }

    public void Rename(string name) => Name = name;

    /// <summary>A new capacity, never below what is allocated.</summary>
    public void Resize(int capacityGiB)
    {
        if (capacityGiB < AllocatedGiB)
            throw new InvalidStateException($"Pool '{Name}' holds {AllocatedGiB} GiB; its capacity cannot go below that.");
        if (capacityGiB <= 0) throw new FieldValidationException("capacityGiB", "'capacityGiB' must be positive.");
        CapacityGiB = capacityGiB;
    }
}
