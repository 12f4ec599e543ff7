using IaasApi.Infrastructure.Operations;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Placement;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Infrastructure.Placement;

/// <summary>
/// Host power (DPM-like): a powered-off host is woken when placement finds no powered-on host for a request but a
/// powered-off one would take it — it turns <c>powering-on</c> at once, so the request claims on it and its work waits
/// for the boot — and empty hosts are powered off on request (consolidation, or an operator). Each change is a
/// <c>host.power-on</c> / <c>host.power-off</c> operation carried by <see cref="HostJobs"/>.
/// </summary>
public sealed class HostPowerManager(IaasDbContext db, HostSnapshot snapshot, PlacementPipeline pipeline, JobDispatcher dispatcher,
                                     ILogger<HostPowerManager> log)
{
    /// <summary>
    /// Wakes the powered-off host placement would choose for <paramref name="request"/> if it were on. Returns false when
    /// no powered-off host would take it (then the refusal stands).
    /// </summary>
    public async Task<bool> WakeForAsync(PlacementRequest request, CancellationToken ct)
    {
        var hosts = await snapshot.GetAsync(db, ct);       // a refusal is common; a powered-off host rare: no extra read
        var sleeping = hosts.Where(h => h.Power == HostPower.Off && h.State == HostState.Enabled).Select(h => h.WithPower(HostPower.On)).ToArray();
        if (sleeping.Length == 0) return false;
        var ranked = pipeline.Rank(request, sleeping, 1);
        if (!ranked.Found) return false;
        var chosen = ranked.Ranked[0].Host;
        var op = await BeginPowerOnAsync(chosen.Id, "placement needs its capacity", ct);
        if (op is null) return false;
        log.LogInformation("Woke host {Host}: placement found no powered-on host for a request", chosen.Name);
        return true;
    }

    /// <summary>Off → powering-on (conditional on the row: one waker wins), with the operation that boots it; null if it was not off.</summary>
    public async Task<Operation?> BeginPowerOnAsync(Guid hostId, string why, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var host = await db.Hosts.SingleAsync(h => h.Id == hostId, ct);
        if (host.Power != HostPower.Off) return null;
        host.BeginPowerOn();
        var op = new Operation(OperationKinds.HostPowerOn, "host", host.Id, null, null, db.Clock.GetUtcNow())
        {
            Queue = JobDispatcher.ControlQueue,        // the host's management interface, not its (sleeping) agent
        };
        op.Report($"Powering on host '{host.Name}': {why}.");
        db.Operations.Add(op);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return null;                               // someone else woke (or changed) it first
        }
        await snapshot.ReloadAsync(db, [host.Id], ct);
        await dispatcher.DispatchAsync(op, CancellationToken.None);
        return op;
    }

    /// <summary>
    /// Powers an empty host off in the database now (no placement from here on; a claim that lands first makes this
    /// fail), then records the operation whose job tells the hardware. Throws <see cref="InvalidStateException"/> if it
    /// is not empty or not in a state to be powered off.
    /// </summary>
    public async Task<Operation> PowerOffAsync(Guid hostId, string why, Guid? parentId, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var host = await db.Hosts.SingleOrDefaultAsync(h => h.Id == hostId, ct) ?? throw new NotFoundException("host", hostId);
        if (host.Power == HostPower.PoweringOn) throw new InvalidStateException($"Host '{host.Name}' is powering on.");
        host.PowerOff();
        var op = new Operation(OperationKinds.HostPowerOff, "host", host.Id, null, parentId, db.Clock.GetUtcNow()) { Queue = JobDispatcher.ControlQueue };
        op.Report($"Powering off host '{host.Name}': {why}.");
        db.Operations.Add(op);
        try
        {
            await db.SaveChangesAsync(ct);            // the host row's version: a concurrent claim wins
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            throw new InvalidStateException($"Host '{host.Name}' changed while being powered off (a claim landed); it stays on.");
        }
        await snapshot.ReloadAsync(db, [host.Id], ct);
        await dispatcher.DispatchAsync(op, CancellationToken.None);
        return op;
    }
}
