using IaasApi.Domain.Inventory;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IaasApi.Infrastructure.Persistence.Configurations;

internal sealed class RegionConfiguration : IEntityTypeConfiguration<Region>
{
    public void Configure(EntityTypeBuilder<Region> b)
    {
        b.MapEntity("regions");
        b.Property(r => r.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.HasIndex(r => r.Name).IsUnique();
    }
}

internal sealed class ZoneConfiguration : IEntityTypeConfiguration<Zone>
{
    public void Configure(EntityTypeBuilder<Zone> b)
    {
        b.MapEntity("zones");
        b.Property(z => z.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.HasIndex(z => z.Name).IsUnique();
        b.HasOne<Region>().WithMany().HasForeignKey(z => z.RegionId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class StoragePoolConfiguration : IEntityTypeConfiguration<StoragePool>
{
    public void Configure(EntityTypeBuilder<StoragePool> b)
    {
        b.MapEntity("storage_pools");
        b.Property(p => p.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.HasIndex(p => p.Name).IsUnique();
        b.Property(p => p.CapacityGiB).HasColumnName("capacity_gib");
        b.Property(p => p.AllocatedGiB).HasColumnName("allocated_gib");
        b.HasOne<Zone>().WithMany().HasForeignKey(p => p.ZoneId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(p => p.ZoneId);
    }
}

internal sealed class HostConfiguration : IEntityTypeConfiguration<Host>
{
    public void Configure(EntityTypeBuilder<Host> b)
    {
        b.MapEntity("hosts");
        b.Property(h => h.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.HasIndex(h => h.Name).IsUnique();
        b.Property(h => h.Hypervisor).HasMaxLength(32).IsRequired();
        b.Property(h => h.CpuModel).HasMaxLength(Limits.ShortTextMaxLength);
        b.MapResources(h => h.Capacity, "capacity");
        b.MapResources(h => h.Reserved, "reserved");
        b.MapResources(h => h.Allocated, "allocated");
        b.MapResources(h => h.PreemptibleAllocated, "preemptible");
        b.MapResources(h => h.SlotAllocated, "in_slots");
        b.MapResources(h => h.ReservedPeak, "reserved_peak");
        b.MapResources(h => h.IdleReserved, "idle_reserved");
        b.Property(h => h.ReportedMemoryMiB).HasColumnName("reported_memory_mib");
        b.Property(h => h.ReportedDiskGiB).HasColumnName("reported_disk_gib");
        b.Property(h => h.UnmanagedVms).HasConversion(new JsonListConverter<Guid>(), new JsonListComparer<Guid>());
        b.Ignore(h => h.Committed);
        b.Ignore(h => h.UsableUnits);
        b.ComplexProperty(h => h.AllocationRatios, c =>
        {
            c.Property(r => r.Cpu).HasColumnName("cpu_allocation_ratio");
            c.Property(r => r.Memory).HasColumnName("memory_allocation_ratio");
            c.Property(r => r.Disk).HasColumnName("disk_allocation_ratio");
        });
        b.PrimitiveCollection(h => h.CpuFeatures);
        b.PrimitiveCollection(h => h.Traits);
        b.HasOne<Zone>().WithMany().HasForeignKey(h => h.ZoneId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Region>().WithMany().HasForeignKey(h => h.RegionId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(h => h.ZoneId);
        b.HasIndex(h => h.UpdatedAt);   // the placement snapshot reads only what changed since its last refresh
    }
}
