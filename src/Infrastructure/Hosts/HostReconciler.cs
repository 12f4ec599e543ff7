using IaasApi.Infrastructure.Instances;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Agents;
using IaasApi.Infrastructure.Hypervisors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IaasApi.Infrastructure.Hosts;

/// <summary>What one comparison of a host with the database found and did.</summary>
public sealed record ReconcileReport(string Host, int Vms, IReadOnlyList<Guid> Unmanaged, int FoundStopped, int PoweredOff, int Vanished, int Reaped = 0)
{
    public bool Any => Unmanaged.Count + FoundStopped + PoweredOff + Vanished + Reaped > 0;

    public override string ToString() =>
        $"host {Host}: {Vms} VM(s); {Unmanaged.Count} unknown to the control plane, {FoundStopped} found stopped, {PoweredOff} powered off, " +
        $"{Vanished} vanished, {Reaped} leftover(s) destroyed";
}

/// <summary>
/// A host's agent compares what its host runs with what the database expects (at the agent's start, then every
/// <c>Iaas:Health:ReconcileSeconds</c>), Nova's power-state sync with the database as the truth of what should run:
/// <list type="bullet">
/// <item>a leftover — a VM of a deleted instance, or of one that is on another host now — is destroyed (audit
/// <c>reaped</c>): a worker killed between a delete's or a migration's driver call and its clean-up leaves such copies;</item>
/// <item>a VM of no instance the database knows is reported on the host (<c>reported.unmanagedVms</c>) and in the log,
/// never destroyed — an operator decides (fencing removes the stale copies of evacuated VMs);</item>
/// <item>an instance <c>running</c> whose VM is shut off (the guest powered off, QEMU died, the machine rebooted) becomes
/// <c>stopped</c>, with why in its audit trail; starting it runs it again;</item>
/// <item>an instance <c>stopped</c> whose VM runs is powered off again;</item>
/// <item>an instance whose VM is gone altogether (no definition, no disk) goes to <c>error</c>, its host capacity released.</item>
/// </list>
/// Instances with an operation or a migration in flight are their jobs' business and are left alone; every change is a
/// concurrency-checked write, so a request that lands meanwhile wins.
/// </summary>
public sealed class HostReconciler(IaasDbContext db, HypervisorDrivers drivers, OperationOutcomes outcomes, ILogger<HostReconciler> log)
{
    public async Task<ReconcileReport> ReconcileAsync(HostRef host, CancellationToken ct)
    {
        var driver = drivers.For(host.Hypervisor);
        // The hypervisor first, the database second: a job that changes both in between shows in the database as busy.
        var vms = (await driver.ListAsync(host, ct)).ToDictionary(v => v.InstanceId);
        var busy = await BusyAsync(host.Id, ct);
        var ids = vms.Keys.ToList();
        var records = await db.Instances.AsNoTracking().Where(i => ids.Contains(i.Id)).Select(i => new { i.Id, i.HostId, i.Status }).ToListAsync(ct);
        // Leftovers — a VM of a deleted instance, or of one that is on another host now (a release or a clean-up lost with
        // a killed worker) — are destroyed: a VM must not outlive its instance or run twice (Nova's
        // running_deleted_instance_action = reap). A VM of no instance at all is only reported: not the control plane's.
        var leftovers = records.Where(r => !busy.Contains(r.Id) && (r.Status == InstanceStatus.Deleted || (r.HostId is { } on && on != host.Id)))
            .Select(r => r.Id).Order().ToList();
        foreach (var id in leftovers)
        {
            await driver.DestroyAsync(host, id, ct);
            vms.Remove(id);
            for (var attempt = 1; attempt <= 3; attempt++)
            {
                try
                {
                    var instance = await db.Instances.SingleAsync(i => i.Id == id, ct);
                    instance.Note("reaped", Agent(host), null, Now(), instance.Status == InstanceStatus.Deleted
                        ? $"A VM of it was still on host '{host.Name}' after its deletion; the host's agent destroyed it."
                        : $"A leftover copy of it was on host '{host.Name}' (it is on another host); the host's agent destroyed it.");
                    await db.SaveChangesAsync(ct);
                    break;
                }
                catch (DbUpdateConcurrencyException)
                {
                    // It changed meanwhile (a job finished with it): the row says what it is now.
                }
                finally
                {
                    db.ChangeTracker.Clear();
                }
            }
        }
        var unmanaged = vms.Keys
            .Where(id => !busy.Contains(id) && !records.Any(r => r.Id == id && r.HostId == host.Id && r.Status != InstanceStatus.Deleted))
            .Order().ToList();

        var expected = await db.Instances.Where(i => i.HostId == host.Id
                                                     && (i.Status == InstanceStatus.Running || i.Status == InstanceStatus.Stopped)).ToListAsync(ct);
        int foundStopped = 0, poweredOff = 0, vanished = 0;
        foreach (var instance in expected.Where(i => !busy.Contains(i.Id)))
        {
            var power = vms.TryGetValue(instance.Id, out var vm) ? vm.Power : await driver.GetPowerStateAsync(host, instance.Id, ct);
            try
            {
                switch (instance.Status, power)
                {
                    case (InstanceStatus.Running, VmPowerState.Shutoff):
                        instance.MoveTo(InstanceStatus.Stopped, "found-stopped", Agent(host), null, Now(),
                            $"Host '{host.Name}''s agent found its VM shut off (the guest powered off, or QEMU or the machine stopped); start it to run it again.");
                        await db.SaveChangesAsync(ct);
                        foundStopped++;
                        break;
                    case (InstanceStatus.Stopped, VmPowerState.Running):
                        instance.Note("powered-off", Agent(host), null, Now(), $"Host '{host.Name}''s agent found its VM running while it should be stopped; powered it off.");
                        await db.SaveChangesAsync(ct);                                 // the instance did not change meanwhile: now the VM
                        await driver.SetPowerAsync(host, instance.Id, PowerAction.Stop, ct);
                        poweredOff++;
                        break;
                    case (_, VmPowerState.Absent or VmPowerState.Suspended):
                        await using (var tx = await db.Database.BeginTransactionAsync(ct))
                        {
                            await outcomes.ReleaseHostClaimAsync(instance, ct);
                            instance.Fail($"Its VM is gone from host '{host.Name}' (neither its QEMU nor its disk is there, as the host's agent found); " +
                                          "its capacity was released. Delete it.", Agent(host), null, Now());
                            await db.SaveChangesAsync(ct);
                            await tx.CommitAsync(ct);
                        }
                        vanished++;
                        break;
                }
            }
            catch (DbUpdateConcurrencyException)
            {
                db.ChangeTracker.Clear();                                             // a request or a job got there first: theirs stands
            }
        }
        await db.Hosts.Where(h => h.Id == host.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(h => h.UnmanagedVms, unmanaged).SetProperty(h => h.ReconciledAt, Now()), ct);
        var report = new ReconcileReport(host.Name, vms.Count, unmanaged, foundStopped, poweredOff, vanished, leftovers.Count);
        if (unmanaged.Count > 0)
            log.LogWarning("Host {Host} runs VM(s) the control plane does not know there: {Ids}", host.Name, string.Join(", ", unmanaged));
        if (report.Any) log.LogInformation("Reconciled {Report}", report);
        return report;
    }

    /// <summary>Instances on the host whose jobs own them now: an operation running, or a migration from or to the host.</summary>
    private async Task<HashSet<Guid>> BusyAsync(Guid hostId, CancellationToken ct)
    {
        var migrating = await db.Migrations.AsNoTracking()
            .Where(m => (m.Status == MigrationStatus.Queued || m.Status == MigrationStatus.Running) && (m.SourceHostId == hostId || m.TargetHostId == hostId))
            .Select(m => m.InstanceId).ToListAsync(ct);
        var working = await db.Operations.AsNoTracking()
            .Where(o => o.Status == OperationStatus.Running && o.ResourceType == "instance" && o.ResourceId != null
                        && db.Instances.Any(i => i.Id == o.ResourceId && i.HostId == hostId))
            .Select(o => o.ResourceId!.Value).ToListAsync(ct);
        return [.. migrating, .. working];
    }

    private static string Agent(HostRef host) => $"system:agent:{host.Name}";

    private DateTimeOffset Now() => db.Clock.GetUtcNow();
}

/// <summary>
/// Runs the <see cref="HostReconciler"/> in a host agent for the hosts whose driver it runs on the machine (qemu) and
/// whose queue it serves: once at start, then every <c>Iaas:Health:ReconcileSeconds</c> (by the wall clock: it is about
/// the machine, not the control plane's time).
/// </summary>
public sealed class HostReconcilerService(IServiceScopeFactory scopes, ServedQueues served, IOptions<IaasOptions> options,
                                          ILogger<HostReconcilerService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.Health.ReconcileSeconds)));
        await WarmUpAsync(stoppingToken);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<IaasDbContext>();
                var drivers = scope.ServiceProvider.GetRequiredService<HypervisorDrivers>();
                foreach (var host in await served.AgentHostsAsync(db, drivers, stoppingToken))
                {
                    try
                    {
                        await scope.ServiceProvider.GetRequiredService<HostReconciler>().ReconcileAsync(host, stoppingToken);
                    }
                    catch (HypervisorException ex)
                    {
                        log.LogWarning("Could not reconcile host {Host}: {Message}", host.Name, ex.Message);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning(ex, "Host reconciliation failed; it runs again at the next interval");   // the database may be away
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>The placement snapshot loaded at the agent's start, so its first migration does not pay for it (about 0.4 s).</summary>
    private async Task WarmUpAsync(CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<Placement.HostSnapshot>().GetAsync(scope.ServiceProvider.GetRequiredService<IaasDbContext>(), ct, fresh: true);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogDebug(ex, "Warm-up skipped");                                      // not migrated yet: the first migration loads it
        }
    }
}
