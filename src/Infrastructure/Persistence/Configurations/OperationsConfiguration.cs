using IaasApi.Domain.Audit;
using IaasApi.Domain.Operations;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IaasApi.Infrastructure.Persistence.Configurations;

internal sealed class OperationConfiguration : IEntityTypeConfiguration<Operation>
{
    public void Configure(EntityTypeBuilder<Operation> b)
    {
        b.MapEntity("operations");
        b.Property(o => o.Kind).HasMaxLength(48).IsRequired();
        b.Property(o => o.ResourceType).HasMaxLength(32).IsRequired();
        b.Property(o => o.JobId).HasMaxLength(64);
        b.Property(o => o.Queue).HasMaxLength(80);
        b.Property(o => o.LastError).HasMaxLength(Limits.DetailMaxLength);
        b.Property(o => o.StatusReason).HasMaxLength(Limits.DetailMaxLength);
        b.Ignore(o => o.IsSingle);
        b.Property(o => o.ClientToken).HasMaxLength(IdempotencyContext.ClientTokenMaxLength);
        b.Property(o => o.RequestHash).HasMaxLength(64);
        b.HasIndex(o => o.ClientToken).IsUnique();
        b.ComplexProperty(o => o.Error, c =>
        {
            c.Property(e => e.Type).HasColumnName("error_type").HasMaxLength(Limits.ShortTextMaxLength);
            c.Property(e => e.Title).HasColumnName("error_title").HasMaxLength(Limits.ShortTextMaxLength);
            c.Property(e => e.Detail).HasColumnName("error_detail").HasMaxLength(Limits.DetailMaxLength);
        });
        b.Ignore(o => o.IsFinished);
        b.HasIndex(o => o.ResourceId);
        b.HasIndex(o => o.ParentId);
        b.HasIndex(o => new { o.Status, o.UpdatedAt });
        b.HasIndex(o => new { o.TenantId, o.Id });
    }
}

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> b)
    {
        b.ToTable("audit_events");
        b.HasKey(e => e.Id);
        b.Property(e => e.Id).ValueGeneratedNever();
        b.Property(e => e.Method).HasMaxLength(16).IsRequired();
        b.Property(e => e.Route).HasMaxLength(Limits.ShortTextMaxLength).IsRequired();
        b.Property(e => e.Path).HasMaxLength(Limits.ShortTextMaxLength);
        b.Property(e => e.Role).HasMaxLength(16);
        b.Property(e => e.IdempotencyKey).HasMaxLength(Limits.ShortTextMaxLength);
        b.Ignore(e => e.Outcome);
        b.HasIndex(e => new { e.TenantId, e.Id });
        b.HasIndex(e => e.ResourceId);
        b.HasIndex(e => e.At);
    }
}

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> b)
    {
        b.ToTable("idempotency_records");
        b.HasKey(r => new { r.Scope, r.Key });
        b.Property(r => r.Scope).HasMaxLength(80);
        b.Property(r => r.Key).HasMaxLength(Limits.ShortTextMaxLength);
        b.Property(r => r.RequestHash).HasMaxLength(64).IsRequired();
        b.Property(r => r.ContentType).HasMaxLength(Limits.ShortTextMaxLength);
        b.Property(r => r.Location).HasMaxLength(Limits.ShortTextMaxLength);
        b.HasIndex(r => r.CreatedAt);
    }
}
