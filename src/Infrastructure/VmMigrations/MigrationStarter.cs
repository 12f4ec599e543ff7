using IaasApi.Infrastructure.Instances;
using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;

namespace IaasApi.Infrastructure.VmMigrations;

/// <summary>
/// Starts a migration: the target chosen now (409 <c>no-valid-host</c> with the filters' reasons if none), then in one
/// transaction the instance goes <c>migrating</c> and the migration and its operation are stored; the job is enqueued
/// after the commit. Live: a running instance. Cold: a running or stopped one (a running one is stopped for the copy and
/// started again on the target). Used by the migrate action and by maintenance drains.
/// </summary>
public sealed class MigrationStarter(IaasDbContext db, MigrationPlanner planner, JobDispatcher dispatcher, Agents.HostCalls hosts,
                                     IOptions<IaasOptions> options)
{
    public Task<Migration> StartLiveAsync(Guid instanceId, Guid? targetHostId, int? maxDowntimeMs, int? bandwidthMbps, string actor,
                                          CancellationToken ct, Guid? parentOperationId = null) =>
        StartAsync(instanceId, MigrationType.Live, targetHostId, maxDowntimeMs, bandwidthMbps, actor, ct, parentOperationId);

    public async Task<Migration> StartAsync(Guid instanceId, MigrationType type, Guid? targetHostId, int? maxDowntimeMs, int? bandwidthMbps,
                                            string actor, CancellationToken ct, Guid? parentOperationId = null)
    {
        var instance = await db.Instances.SingleOrDefaultAsync(i => i.Id == instanceId && i.Status != InstanceStatus.Deleted, ct)
                       ?? throw new NotFoundException("instance", instanceId);
        if (type == MigrationType.Storage)
            throw new FieldValidationException("targetPoolId", "A storage migration names the pool the disk moves to ('targetPoolId').");
        if (type == MigrationType.Live && instance.Status != InstanceStatus.Running)
            throw new InvalidStateException($"Instance '{instance.Name}' is '{EnumWords.ToWord(instance.Status)}'; only a running instance migrates live (a stopped one migrates cold).");
        if (type == MigrationType.Cold && (instance.Status is not (InstanceStatus.Running or InstanceStatus.Stopped) || instance.HostId is null))
            throw new InvalidStateException(
                $"Instance '{instance.Name}' is '{EnumWords.ToWord(instance.Status)}'{(instance.HostId is not null ? "" : " off any host")}; a cold migration moves a running or stopped instance from its host.");
        if (instance.ReservationId is not null)
            throw new InvalidStateException($"Instance '{instance.Name}' runs in a reservation's slot, which is bound to its host.");
        if (targetHostId is { } named && !await db.Hosts.AsNoTracking().AnyAsync(h => h.Id == named, ct)) throw new NotFoundException("host", named);
        var (source, target) = await planner.RankTargetAsync(instance, instance.HostId!.Value, targetHostId, ct, type);

        var now = db.Clock.GetUtcNow();
        var op = new Operation(OperationKinds.InstanceMigrate, "instance", instance.Id, instance.TenantId, parentOperationId, now)
        {
            Queue = JobDispatcher.QueueFor(source.Hypervisor, source.Name),
        };
        var plan = instance.SlaPlanId is { } planId ? await db.SlaPlans.AsNoTracking().SingleOrDefaultAsync(p => p.Id == planId, ct) : null;
        var policy = options.Value.Migration.Policy(plan, maxDowntimeMs);
        var migration = new Migration(instance.Id, instance.TenantId, type, source.Id, target.Id, type == MigrationType.Live ? policy.MaxDowntimeMs : null,
                                      bandwidthMbps, now, policy.Escalation, policy.TimeoutSecondsPerGiB,
                                      restartOnTarget: instance.Status == InstanceStatus.Running);
        migration.AttachOperation(op.Id);
        instance.Begin(InstanceStatus.Migrating, "migrate", actor, op.Id, now);
        db.Operations.Add(op);
        db.Migrations.Add(migration);
        await db.SaveChangesAsync(ct);                                    // 409 if the instance changed concurrently
        await dispatcher.DispatchAsync(op, CancellationToken.None);
        // A remote target's agent readies the arrival while the source's agent picks the job up (the job reuses its answer).
        var arrival = new Domain.Hypervisors.HostRef(target.Id, target.Name, target.Hypervisor);
        if (!hosts.IsLocal(arrival))
            await hosts.PrepareEarlyAsync(new Domain.Hypervisors.IncomingRequest(arrival, new Domain.Hypervisors.HostRef(source.Id, source.Name, source.Hypervisor),
                await InstanceSpecs.OfAsync(db, instance, CancellationToken.None), type), migration.Id);
        return migration;
    }

    /// <summary>
    /// Starts a live storage migration: the running instance's disk moves to <paramref name="targetPoolId"/> (a shared
    /// pool of its zone with room for it) while the VM stays on its host. One transaction, as for the other types.
    /// </summary>
    public async Task<Migration> StartStorageAsync(Guid instanceId, Guid targetPoolId, int? bandwidthMbps, string actor, CancellationToken ct)
    {
        var instance = await db.Instances.SingleOrDefaultAsync(i => i.Id == instanceId && i.Status != InstanceStatus.Deleted, ct)
                       ?? throw new NotFoundException("instance", instanceId);
        var pool = await db.StoragePools.AsNoTracking().SingleOrDefaultAsync(p => p.Id == targetPoolId, ct)
                   ?? throw new NotFoundException("storage-pool", targetPoolId);
        if (instance.Status != InstanceStatus.Running || instance.HostId is not { } hostId)
            throw new InvalidStateException($"Instance '{instance.Name}' is '{EnumWords.ToWord(instance.Status)}'; a live storage migration moves a running instance's disk.");
        if (instance.ReservationId is not null)
            throw new InvalidStateException($"Instance '{instance.Name}' runs in a reservation's slot, which is bound to its host's disk.");
        if (pool.ZoneId != instance.ZoneId)
            throw new InvalidStateException($"Pool '{pool.Name}' is in another zone; the instance's host cannot reach it.");
        if (instance.StoragePoolId == pool.Id)
            throw new InvalidStateException($"Instance '{instance.Name}''s disk already lives on pool '{pool.Name}'.");
        if (pool.AllocatedGiB + instance.DiskGiB > pool.CapacityGiB)
            throw new ConflictException($"Pool '{pool.Name}' has {pool.CapacityGiB - pool.AllocatedGiB} GiB free; the disk needs {instance.DiskGiB} GiB.");

        var now = db.Clock.GetUtcNow();
        var host = await db.Hosts.AsNoTracking().SingleAsync(h => h.Id == hostId, ct);
        var op = new Operation(OperationKinds.InstanceMigrate, "instance", instance.Id, instance.TenantId, null, now)
        {
            Queue = JobDispatcher.QueueFor(host.Hypervisor, host.Name),
        };
        var migration = Migration.OfStorage(instance.Id, instance.TenantId, hostId, instance.StoragePoolId, pool.Id, bandwidthMbps, now);
        migration.AttachOperation(op.Id);
        instance.Begin(InstanceStatus.Migrating, "migrate", actor, op.Id, now);
        db.Operations.Add(op);
        db.Migrations.Add(migration);
        await db.SaveChangesAsync(ct);
        await dispatcher.DispatchAsync(op, CancellationToken.None);
        return migration;
    }
}
