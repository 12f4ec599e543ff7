using IaasApi.Domain.Tenancy;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IaasApi.Infrastructure.Persistence.Configurations;

internal sealed class TenantConfiguration : IEntityTypeConfiguration<Tenant>
{
    public void Configure(EntityTypeBuilder<Tenant> b)
    {
        b.MapEntity("tenants");
        b.Property(t => t.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.HasIndex(t => t.Name).IsUnique();
        b.ComplexProperty(t => t.Quotas, c =>
        {
            c.Property(q => q.Instances).HasColumnName("quota_instances");
            c.Property(q => q.Vcpus).HasColumnName("quota_vcpus");
            c.Property(q => q.MemoryMiB).HasColumnName("quota_memory_mib");
        });
        b.ComplexProperty(t => t.Usage, c =>
        {
            c.Property(u => u.Instances).HasColumnName("usage_instances");
            c.Property(u => u.Vcpus).HasColumnName("usage_vcpus");
            c.Property(u => u.MemoryMiB).HasColumnName("usage_memory_mib");
        });
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.MapEntity("api_keys");
        b.Property(k => k.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.Property(k => k.Hash).HasMaxLength(64).IsRequired();
        b.Property(k => k.Prefix).HasMaxLength(16).IsRequired();
        b.HasIndex(k => k.Hash).IsUnique();
        b.HasIndex(k => k.TenantId);
        b.Ignore(k => k.Revoked);
        b.HasOne<Tenant>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
