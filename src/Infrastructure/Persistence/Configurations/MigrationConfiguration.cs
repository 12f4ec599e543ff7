using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IaasApi.Infrastructure.Persistence.Configurations;

internal sealed class MigrationConfiguration : IEntityTypeConfiguration<Migration>
{
    public void Configure(EntityTypeBuilder<Migration> b)
    {
        b.MapEntity("migrations");
        b.Property(m => m.Reason).HasMaxLength(Limits.DetailMaxLength).IsRequired();
        b.Property(m => m.Stages).HasConversion(new JsonListConverter<MigrationStageRecord>(), new JsonListComparer<MigrationStageRecord>());
        b.Property(m => m.Rounds).HasConversion(new JsonListConverter<PreCopyRound>(), new JsonListComparer<PreCopyRound>());
        b.Property(m => m.TimeoutSecondsPerGiB).HasColumnName("timeout_seconds_per_gib");
        b.Property(m => m.DiskCopiedMiB).HasColumnName("disk_copied_mib");
        b.Property(m => m.DiskTotalMiB).HasColumnName("disk_total_mib");
        b.Property(m => m.TransferredMiB).HasColumnName("transferred_mib");
        b.Property(m => m.RemainingMiB).HasColumnName("remaining_mib");
        b.HasIndex(m => m.TargetPoolId);
        b.Ignore(m => m.Stage);
        b.Ignore(m => m.IsLive);
        b.Ignore(m => m.OnSource);
        b.HasOne<Instance>().WithMany().HasForeignKey(m => m.InstanceId).OnDelete(DeleteBehavior.Restrict);
        // No foreign keys to hosts: a migration's record outlives a decommissioned host (it keeps the ids).
        b.HasIndex(m => m.SourceHostId);
        b.HasIndex(m => m.TargetHostId);
        b.HasIndex(m => new { m.InstanceId, m.Status });
        b.HasIndex(m => new { m.Status, m.Id });
        // One live migration per instance at a time, enforced by the database (partial unique index).
        b.HasIndex(m => m.InstanceId).IsUnique().HasFilter("status IN ('queued', 'running')").HasDatabaseName("ux_migrations_instance_live");
    }
}
