using IaasApi.Domain.Instances;
using IaasApi.Domain.Snapshots;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IaasApi.Infrastructure.Persistence.Configurations;

internal sealed class SnapshotConfiguration : IEntityTypeConfiguration<Snapshot>
{
    public void Configure(EntityTypeBuilder<Snapshot> b)
    {
        b.MapEntity("snapshots");
        b.Property(s => s.Name).HasMaxLength(Snapshot.NameMaxLength).IsRequired();
        b.Property(s => s.StatusReason).HasMaxLength(Limits.DetailMaxLength).IsRequired();
        b.Property(s => s.SizeMiB).HasColumnName("size_mib");
        b.HasOne<Instance>().WithMany().HasForeignKey(s => s.InstanceId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(s => new { s.InstanceId, s.Status });
        b.HasIndex(s => new { s.TenantId, s.Id });
    }
}
