using IaasApi.Domain.Audit;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Reservations;
using IaasApi.Domain.ServerGroups;
using IaasApi.Domain.Tenancy;

namespace IaasApi.Infrastructure.Persistence;

/// <summary>
/// The control plane's database. Two providers derive from it, each with its own migrations:
/// <see cref="PostgresDbContext"/> (production, tests) and <see cref="SqliteDbContext"/> (embedded default).
/// </summary>
public abstract class IaasDbContext(DbContextOptions options, TimeProvider clock) : DbContext(options)
{
    public const string Schema = "iaas";

    public DbSet<Region> Regions => Set<Region>();
    public DbSet<Zone> Zones => Set<Zone>();
    public DbSet<Host> Hosts => Set<Host>();
    public DbSet<Flavor> Flavors => Set<Flavor>();
    public DbSet<Image> Images => Set<Image>();
    public DbSet<SlaPlan> SlaPlans => Set<SlaPlan>();
    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Instance> Instances => Set<Instance>();
    public DbSet<ServerGroup> ServerGroups => Set<ServerGroup>();
    public DbSet<InstanceAction> InstanceActions => Set<InstanceAction>();
    public DbSet<Operation> Operations => Set<Operation>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<Reservation> Reservations => Set<Reservation>();
    public DbSet<ReservationSlot> ReservationSlots => Set<ReservationSlot>();
    public DbSet<Migration> Migrations => Set<Migration>();
    public DbSet<StoragePool> StoragePools => Set<StoragePool>();
    public DbSet<AgentTask> AgentTasks => Set<AgentTask>();
    public DbSet<Domain.Snapshots.Snapshot> Snapshots => Set<Domain.Snapshots.Snapshot>();

    public TimeProvider Clock => clock;

    public abstract bool IsSqlite { get; }

    protected override void ConfigureConventions(ModelConfigurationBuilder b)
    {
        // Statuses and kinds are stored as the API's words, not integers or PostgreSQL enums: they evolve.
        b.Properties<InstanceStatus>().HaveConversion<EnumWordConverter<InstanceStatus>>().HaveMaxLength(24);
        b.Properties<InstanceStatus?>().HaveConversion<EnumWordConverter<InstanceStatus>>().HaveMaxLength(24);
        b.Properties<OperationStatus>().HaveConversion<EnumWordConverter<OperationStatus>>().HaveMaxLength(24);
        b.Properties<HostState>().HaveConversion<EnumWordConverter<HostState>>().HaveMaxLength(24);
        b.Properties<HostPower>().HaveConversion<EnumWordConverter<HostPower>>().HaveMaxLength(24);
        b.Properties<FlavorFamily>().HaveConversion<EnumWordConverter<FlavorFamily>>().HaveMaxLength(24);
        b.Properties<ImageFormat>().HaveConversion<EnumWordConverter<ImageFormat>>().HaveMaxLength(24);
        b.Properties<PlacementStrategy>().HaveConversion<EnumWordConverter<PlacementStrategy>>().HaveMaxLength(24);
        b.Properties<Role>().HaveConversion<EnumWordConverter<Role>>().HaveMaxLength(24);
        b.Properties<ServerGroupPolicy>().HaveConversion<EnumWordConverter<ServerGroupPolicy>>().HaveMaxLength(24);
        b.Properties<ProvisioningScheme>().HaveConversion<EnumWordConverter<ProvisioningScheme>>().HaveMaxLength(24);
        b.Properties<ClaimKind>().HaveConversion<EnumWordConverter<ClaimKind>>().HaveMaxLength(24);
        b.Properties<ReservationStatus>().HaveConversion<EnumWordConverter<ReservationStatus>>().HaveMaxLength(24);
        b.Properties<OnEndAction>().HaveConversion<EnumWordConverter<OnEndAction>>().HaveMaxLength(24);
        b.Properties<MigrationType>().HaveConversion<EnumWordConverter<MigrationType>>().HaveMaxLength(24);
        b.Properties<MigrationStatus>().HaveConversion<EnumWordConverter<MigrationStatus>>().HaveMaxLength(24);
        b.Properties<ConvergenceEscalation>().HaveConversion<EnumWordConverter<ConvergenceEscalation>>().HaveMaxLength(24);
        b.Properties<ConvergenceEscalation?>().HaveConversion<EnumWordConverter<ConvergenceEscalation>>().HaveMaxLength(24);
        b.Properties<PreCopyOutcome?>().HaveConversion<EnumWordConverter<PreCopyOutcome>>().HaveMaxLength(24);
        b.Properties<Domain.Snapshots.SnapshotStatus>().HaveConversion<EnumWordConverter<Domain.Snapshots.SnapshotStatus>>().HaveMaxLength(24);
    }

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.ApplyConfigurationsFromAssembly(typeof(IaasDbContext).Assembly);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        Stamp();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken ct = default)
    {
        Stamp();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, ct);
    }

    /// <summary>
    /// Every update bumps the version (the optimistic concurrency token behind ETags) and the update time. An instance
    /// that only gains an audit row is written too: the row records the status as read, so a concurrent change must make
    /// this save fail rather than leave the trail out of step with the status.
    /// </summary>
    private void Stamp()
    {
        ChangeTracker.DetectChanges();
        var audited = ChangeTracker.Entries<InstanceAction>().Where(a => a.State == EntityState.Added).Select(a => a.Entity.InstanceId).ToHashSet();
        if (audited.Count > 0)
            foreach (var instance in ChangeTracker.Entries<Instance>().Where(i => i.State == EntityState.Unchanged && audited.Contains(i.Entity.Id)))
                instance.Property(i => i.Version).IsModified = true;
        var now = clock.GetUtcNow();
        foreach (var entry in ChangeTracker.Entries<Entity>())
        {
            if (entry.State != EntityState.Modified) continue;
            var version = entry.Property(e => e.Version);
            version.CurrentValue = version.OriginalValue + 1;
            entry.Property(e => e.UpdatedAt).CurrentValue = now;
        }
    }
}

public sealed class PostgresDbContext(DbContextOptions<PostgresDbContext> options, TimeProvider clock) : IaasDbContext(options, clock)
{
    public override bool IsSqlite => false;

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.HasDefaultSchema(Schema);   // Hangfire owns schema "hangfire"
        base.OnModelCreating(b);
    }
}

public sealed class SqliteDbContext(DbContextOptions<SqliteDbContext> options, TimeProvider clock) : IaasDbContext(options, clock)
{
    public override bool IsSqlite => true;

    protected override void ConfigureConventions(ModelConfigurationBuilder b)
    {
        base.ConfigureConventions(b);
        // SQLite has no DateTimeOffset type: store UTC ticks so time filters and ordering run in the database.
        b.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
        b.Properties<DateTimeOffset?>().HaveConversion<UtcTicksConverter>();
        b.Properties<decimal>().HaveConversion<double>();
    }
}
