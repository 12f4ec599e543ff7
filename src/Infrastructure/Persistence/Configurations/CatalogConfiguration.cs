using IaasApi.Domain.Catalog;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IaasApi.Infrastructure.Persistence.Configurations;

internal sealed class FlavorConfiguration : IEntityTypeConfiguration<Flavor>
{
    public void Configure(EntityTypeBuilder<Flavor> b)
    {
        b.MapEntity("flavors");
        b.Property(f => f.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.HasIndex(f => f.Name).IsUnique();
        b.MapResources(f => f.Resources, "resources");
        b.Property(f => f.RequiredCpuModel).HasMaxLength(Limits.ShortTextMaxLength);
        b.PrimitiveCollection(f => f.RequiredCpuFeatures);
        b.PrimitiveCollection(f => f.RequiredTraits);
        b.PrimitiveCollection(f => f.ForbiddenTraits);
        b.Ignore(f => f.Hints);
    }
}

internal sealed class ImageConfiguration : IEntityTypeConfiguration<Image>
{
    public void Configure(EntityTypeBuilder<Image> b)
    {
        b.MapEntity("images");
        b.Property(i => i.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.HasIndex(i => i.Name).IsUnique();
        b.Property(i => i.Os).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.Property(i => i.MinDiskGiB).HasColumnName("min_disk_gib");
        b.Property(i => i.SizeMiB).HasColumnName("size_mib");
        b.Property(i => i.Hypervisor).HasMaxLength(32);
        b.Property(i => i.RequiredCpuModel).HasMaxLength(Limits.ShortTextMaxLength);
        b.PrimitiveCollection(i => i.RequiredCpuFeatures);
        b.PrimitiveCollection(i => i.RequiredTraits);
        b.PrimitiveCollection(i => i.ForbiddenTraits);
        b.Ignore(i => i.Hints);
        b.HasOne<Domain.Tenancy.Tenant>().WithMany().HasForeignKey(i => i.OwnerTenantId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(i => i.SourceInstanceId);
    }
}

internal sealed class SlaPlanConfiguration : IEntityTypeConfiguration<SlaPlan>
{
    public void Configure(EntityTypeBuilder<SlaPlan> b)
    {
        b.MapEntity("sla_plans");
        b.Property(p => p.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.HasIndex(p => p.Name).IsUnique();
        b.PrimitiveCollection(p => p.Schemes).ElementType(e => e.HasConversion<EnumWordConverter<ProvisioningScheme>>());
        b.Property(p => p.PricePerHour).HasPrecision(12, 4);
        b.Property(p => p.MigrationTimeoutSecondsPerGiB).HasColumnName("migration_timeout_seconds_per_gib");
        b.PrimitiveCollection(p => p.RequiredCapabilities);
    }
}
