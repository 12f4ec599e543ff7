using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IaasApi.Infrastructure.Persistence.Configurations;

internal static class ModelHelpers
{
    /// <summary>Id, timestamps and the application-managed concurrency token every entity shares.</summary>
    public static void MapEntity<T>(this EntityTypeBuilder<T> b, string table) where T : Entity
    {
        b.ToTable(table);
        b.HasKey(e => e.Id);
        b.Property(e => e.Id).ValueGeneratedNever();
        b.Property(e => e.Version).IsConcurrencyToken();
    }

    /// <summary>A <see cref="Resources"/> value as four columns: <c>{prefix}_vcpus</c>, <c>{prefix}_memory_mib</c>...</summary>
    public static void MapResources<T>(this EntityTypeBuilder<T> b, System.Linq.Expressions.Expression<Func<T, Resources>> property,
                                       string prefix) where T : class
    {
        b.ComplexProperty(property, c =>
        {
            c.Property(r => r.Vcpus).HasColumnName($"{prefix}_vcpus");
            c.Property(r => r.MemoryMiB).HasColumnName($"{prefix}_memory_mib");
            c.Property(r => r.DiskGiB).HasColumnName($"{prefix}_disk_gib");
            c.Property(r => r.NetworkMbps).HasColumnName($"{prefix}_network_mbps");
        });
    }
}
