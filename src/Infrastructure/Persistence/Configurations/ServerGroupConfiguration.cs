using IaasApi.Domain.ServerGroups;
using IaasApi.Domain.Tenancy;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IaasApi.Infrastructure.Persistence.Configurations;

internal sealed class ServerGroupConfiguration : IEntityTypeConfiguration<ServerGroup>
{
    public void Configure(EntityTypeBuilder<ServerGroup> b)
    {
        b.MapEntity("server_groups");
        b.Property(g => g.Name).HasMaxLength(Limits.NameMaxLength).IsRequired();
        b.HasOne<Tenant>().WithMany().HasForeignKey(g => g.TenantId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(g => new { g.TenantId, g.Id });
    }
}
