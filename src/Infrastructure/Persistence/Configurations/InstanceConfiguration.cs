using IaasApi.Domain.Catalog;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Reservations;
using IaasApi.Domain.ServerGroups;
using IaasApi.Domain.Tenancy;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IaasApi.Infrastructure.Persistence.Configurations;

internal sealed class InstanceConfiguration : IEntityTypeConfiguration<Instance>
{
    public void Configure(EntityTypeBuilder<Instance> b)
    {
        b.MapEntity("instances");
        b.Property(i => i.GuestTouchedMiB).HasColumnName("guest_touched_mib");
        b.Property(i => i.GuestWorkingSetMiB).HasColumnName("guest_working_set_mib");
        b.Property(i => i.GuestDirtyRateMiBps).HasColumnName("guest_dirty_rate_mibps");
        b.Property(i => i.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.Property(i => i.StatusReason).HasMaxLength(Limits.DetailMaxLength);
        b.Property(i => i.UserData).HasMaxLength(Limits.UserDataMaxBytes);
        b.MapResources(i => i.Resources, "resources");
        b.Ignore(i => i.IsLive);
        b.Ignore(i => i.OwnKind);
        b.HasOne<Reservation>().WithMany().HasForeignKey(i => i.ReservationId).OnDelete(DeleteBehavior.SetNull);
        // The best-effort queue's order.
        b.HasIndex(i => new { i.Status, i.Priority, i.QueuedAt });
        b.HasIndex(i => i.ReservationId);

        b.HasOne<Tenant>().WithMany().HasForeignKey(i => i.TenantId).OnDelete(DeleteBehavior.Restrict);
        // Catalog and inventory may be deleted once no live instance uses them; history keeps a null reference.
        b.HasOne<Flavor>().WithMany().HasForeignKey(i => i.FlavorId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Image>().WithMany().HasForeignKey(i => i.ImageId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<SlaPlan>().WithMany().HasForeignKey(i => i.SlaPlanId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Zone>().WithMany().HasForeignKey(i => i.ZoneId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Host>().WithMany().HasForeignKey(i => i.HostId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Host>().WithMany().HasForeignKey(i => i.LastHostId).OnDelete(DeleteBehavior.SetNull);
        b.Ignore(i => i.VmHostId);
        b.HasOne<ServerGroup>().WithMany().HasForeignKey(i => i.ServerGroupId).OnDelete(DeleteBehavior.SetNull);
        b.HasIndex(i => new { i.ServerGroupId, i.Status });

        b.Ignore(i => i.DiskGiB);
        b.Property(i => i.PooledDiskGiB).HasColumnName("pooled_disk_gib");
        b.HasOne<StoragePool>().WithMany().HasForeignKey(i => i.StoragePoolId).OnDelete(DeleteBehavior.SetNull);   // a deleted instance's record outlives the pool
        b.HasMany(i => i.Actions).WithOne().HasForeignKey(a => a.InstanceId).OnDelete(DeleteBehavior.Cascade);
        b.Navigation(i => i.Actions).UsePropertyAccessMode(PropertyAccessMode.Property);

        b.HasIndex(i => new { i.TenantId, i.Id });
        b.HasIndex(i => new { i.HostId, i.Status });
        b.HasIndex(i => i.Status);
    }
}

internal sealed class InstanceActionConfiguration : IEntityTypeConfiguration<InstanceAction>
{
    public void Configure(EntityTypeBuilder<InstanceAction> b)
    {
        b.ToTable("instance_actions");
        b.HasKey(a => a.Id);
        b.Property(a => a.Id).ValueGeneratedNever();
        b.Property(a => a.Action).HasMaxLength(32).IsRequired();
        b.Property(a => a.Actor).HasMaxLength(80).IsRequired();
        b.Property(a => a.Detail).HasMaxLength(Limits.DetailMaxLength);
        b.HasIndex(a => new { a.InstanceId, a.Id });
        b.HasIndex(a => a.OperationId);
    }
}
