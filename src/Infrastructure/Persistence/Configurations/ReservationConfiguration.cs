using IaasApi.Domain.Catalog;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Reservations;
using IaasApi.Domain.Tenancy;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IaasApi.Infrastructure.Persistence.Configurations;

internal sealed class ReservationConfiguration : IEntityTypeConfiguration<Reservation>
{
    public void Configure(EntityTypeBuilder<Reservation> b)
    {
        b.MapEntity("reservations");
        b.Property(r => r.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.MapResources(r => r.Resources, "resources");
        b.Ignore(r => r.IsLive);
        b.Ignore(r => r.ReleaseAt);
        b.HasOne<Tenant>().WithMany().HasForeignKey(r => r.TenantId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Flavor>().WithMany().HasForeignKey(r => r.FlavorId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Zone>().WithMany().HasForeignKey(r => r.ZoneId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<SlaPlan>().WithMany().HasForeignKey(r => r.SlaPlanId).OnDelete(DeleteBehavior.SetNull);
        b.HasIndex(r => new { r.TenantId, r.Id });
        b.HasIndex(r => new { r.Status, r.Start });
        b.HasIndex(r => new { r.Status, r.End });
    }
}

internal sealed class ReservationSlotConfiguration : IEntityTypeConfiguration<ReservationSlot>
{
    public void Configure(EntityTypeBuilder<ReservationSlot> b)
    {
        b.ToTable("reservation_slots");
        b.HasKey(s => s.Id);
        b.Property(s => s.Id).ValueGeneratedNever();
        b.MapResources(s => s.Resources, "resources");
        b.Ignore(s => s.Interval);
        b.HasOne<Reservation>().WithMany().HasForeignKey(s => s.ReservationId).OnDelete(DeleteBehavior.Cascade);
        // A host cannot be deleted while a reservation holds capacity on it.
        b.HasOne<Host>().WithMany().HasForeignKey(s => s.HostId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(s => new { s.HostId, s.End });
        b.HasIndex(s => new { s.ReservationId, s.InstanceId });
    }
}
