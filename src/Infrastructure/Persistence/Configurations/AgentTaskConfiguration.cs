using IaasApi.Infrastructure.Agents;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IaasApi.Infrastructure.Persistence.Configurations;

internal sealed class AgentTaskConfiguration : IEntityTypeConfiguration<AgentTask>
{
    public void Configure(EntityTypeBuilder<AgentTask> b)
    {
        b.ToTable("agent_tasks");
        b.HasKey(t => t.Id);
        b.Property(t => t.Id).ValueGeneratedNever();
        b.Property(t => t.Kind).HasMaxLength(48).IsRequired();
        b.Property(t => t.Status).HasMaxLength(24).IsRequired();
        b.Property(t => t.Request).IsRequired();
        b.Property(t => t.Error).HasMaxLength(Limits.DetailMaxLength);
        b.HasIndex(t => new { t.MigrationId, t.HostId, t.Kind });
        b.HasIndex(t => t.CreatedAt);
    }
}
