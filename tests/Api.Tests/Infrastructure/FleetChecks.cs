using System.Diagnostics;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>
/// What a fault campaign checks once the fleet has settled, from the database and from the agents' own models: no
/// leaked allocation, no instance on two hosts (nor a VM of one that is on no host), every operation terminal, every
/// instance's status where its audit trail ends, every tenant's usage the sum of its instances.
/// </summary>
public static class FleetChecks
{
    /// <summary>Waits until nothing is in flight: no running operation (drains included), no live migration, no host down.</summary>
    public static async Task<TimeSpan> SettleAsync(string connectionString, Fleet fleet, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            await using var db = Db(connectionString);
            var running = await db.Operations.AsNoTracking().Where(o => o.Status == OperationStatus.Running).Select(o => o.Kind).ToListAsync();
            var migrating = await db.Migrations.CountAsync(m => m.Status == MigrationStatus.Queued || m.Status == MigrationStatus.Running);
            // Down hosts come back (fenced) once their agents beat; one left in maintenance (a drain's exit lost to its going down) stays so.
            var unsettledHosts = await db.Hosts.CountAsync(h => h.State == HostState.Down);
            var transitional = (await db.Instances.AsNoTracking().Select(i => i.Status).ToListAsync()).Count(InstanceTransitions.IsTransitional);
            if (running.Count == 0 && migrating == 0 && unsettledHosts == 0 && transitional == 0) return watch.Elapsed;
            if (watch.Elapsed > limit)
            {
                var live = (await db.Migrations.AsNoTracking().Where(m => m.Status == MigrationStatus.Queued || m.Status == MigrationStatus.Running).ToListAsync())
                    .Select(m => $"migration {m.Id} {m.Type} {m.Status} at {m.Stage}, operation {m.OperationId}: " +
                                 (db.Operations.AsNoTracking().SingleOrDefault(o => o.Id == m.OperationId) is { } o ? $"{o.Status} ({o.Error?.Detail ?? o.StatusReason})" : "none"));
                var stuck = (await db.Instances.AsNoTracking().ToListAsync()).Where(i => InstanceTransitions.IsTransitional(i.Status))
                    .Select(i => $"instance {i.Id} {i.Status} (operation {i.OperationId}: " +
                                 (db.Operations.AsNoTracking().SingleOrDefault(o => o.Id == i.OperationId) is { } o ? $"{o.Kind} {o.Status}, {o.Error?.Detail ?? o.StatusReason}" : "none") +
                                 $"; trail: {string.Join(" → ", db.InstanceActions.AsNoTracking().Where(a => a.InstanceId == i.Id).OrderBy(a => a.At).AsEnumerable().Select(a => $"{a.Action}:{a.ToStatus}"))})");
                live = live.Concat(stuck);
                throw new TimeoutException($"Not settled after {limit.TotalSeconds:0} s: running operations {string.Join(", ", running.GroupBy(k => k).Select(g => $"{g.Key} × {g.Count()}"))}; " +
                                           $"{migrating} migration(s) live, {unsettledHosts} host(s) down, {transitional} instance(s) in transition.\n" +
                                           string.Join("\n", live) + "\n" +
                                           string.Join("\n", new[] { ("api", fleet.Api.Output()) }.Concat(fleet.Agents.Select(a => (a, fleet.Output(a))))
                                               .Select(p => $"--- {p.Item1}\n{Failures(p.Item2)}\n{Tail(p.Item2)}")));
            }
            await Task.Delay(500);
        }
    }

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(15));

    /// <summary>The last errors a process logged: each <c>fail:</c> entry's first lines (its message, the exception's type and message).</summary>
    private static string Failures(string text)
    {
        var lines = text.Split('\n');
        var starts = Enumerable.Range(0, lines.Length).Where(i => lines[i].StartsWith("fail:", StringComparison.Ordinal)).TakeLast(6);
        return string.Join('\n', starts.SelectMany(i => lines.Skip(i).Take(4)));
    }

    /// <summary>
    /// The invariants, asserted; the report of what the campaign left. The agents' own models are compared again for a
    /// while (their reconcilers destroy leftovers every few seconds) before a difference counts.
    /// </summary>
    public static async Task<string> AssertInvariantsAsync(string connectionString, Fleet fleet)
    {
        var watch = Stopwatch.StartNew();
        var (problems, instances, hosts, vms) = await CheckAsync(connectionString, fleet);
        while (problems.Count > 0 && watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(1000);
            (problems, instances, hosts, vms) = await CheckAsync(connectionString, fleet);
        }
        await using var db = Db(connectionString);
        var byStatus = string.Join(", ", instances.GroupBy(i => i.Status).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"));
        var operations = await db.Operations.AsNoTracking().GroupBy(o => new { o.Kind, o.Status }).Select(g => new { g.Key.Kind, g.Key.Status, N = g.Count() }).ToListAsync();
        var migrations = await db.Migrations.AsNoTracking().GroupBy(m => new { m.Type, m.Status }).Select(g => new { g.Key.Type, g.Key.Status, N = g.Count() }).ToListAsync();
        var whyFailed = (await db.Migrations.AsNoTracking().Where(m => m.Status == MigrationStatus.Failed).Select(m => new { m.Type, m.Reason }).ToListAsync())
            .GroupBy(m => $"{m.Type.ToString().ToLowerInvariant()}: {(m.Reason.Length > 90 ? m.Reason[..90] + "…" : m.Reason)}")
            .OrderByDescending(g => g.Count()).Select(g => $"  {g.Count()} × {g.Key}");
        Assert.True(problems.Count == 0, $"{problems.Count} invariant(s) broken:\n{string.Join("\n", problems.Take(30))}");
        return $"Instances: {instances.Count} ({byStatus}); VMs the agents hold: {vms.Count}.\n"
               + $"Operations: {string.Join(", ", operations.OrderBy(o => o.Kind).ThenBy(o => o.Status).Select(o => $"{o.Kind} {o.Status.ToString().ToLowerInvariant()} {o.N}"))}.\n"
               + $"Migrations: {string.Join(", ", migrations.OrderBy(m => m.Type).ThenBy(m => m.Status).Select(m => $"{m.Type.ToString().ToLowerInvariant()} {m.Status.ToString().ToLowerInvariant()} {m.N}"))}.\n"
               + $"Failed migrations, why:\n{string.Join("\n", whyFailed)}\n"
               + $"Invariants: 0 leaked allocations over {hosts.Count} hosts, 0 instances on two hosts, 0 running operations, every status its trail's end, usage = instances.\n";
    }

    private static async Task<(List<string> Problems, List<Instance> Instances, List<Host> Hosts, List<(string Agent, IaasApi.Infrastructure.Hypervisors.Fake.FakeVm Vm)> Vms)>
        CheckAsync(string connectionString, Fleet fleet)
    {
        await using var db = Db(connectionString);
        var hosts = await db.Hosts.AsNoTracking().ToListAsync();
        var instances = await db.Instances.AsNoTracking().ToListAsync();
        var problems = new List<string>();

        // Every host's counters are the sum of the instances it holds.
        foreach (var host in hosts)
        {
            var on = instances.Where(i => i.HostId == host.Id).ToList();
            var sum = on.Aggregate(Domain.Common.Resources.Zero, (s, i) => s + i.Resources);
            if (host.Allocated != sum || host.InstanceCount != on.Count)
                problems.Add($"host {host.Name}: allocated {host.Allocated} in {host.InstanceCount}, its instances hold {sum} in {on.Count}");
        }
        // Every tenant's usage is the sum of its instances that count.
        foreach (var tenant in await db.Tenants.AsNoTracking().ToListAsync())
        {
            var counted = instances.Where(i => i.TenantId == tenant.Id && i.QuotaClaimed).ToList();
            var usage = new Domain.Tenancy.Usage(counted.Count, counted.Sum(i => i.Resources.Vcpus), counted.Sum(i => i.Resources.MemoryMiB));
            if (tenant.Usage != usage) problems.Add($"tenant {tenant.Name}: usage {tenant.Usage}, its instances {usage}");
        }
        // Every instance's status is where its audit trail ends.
        var lastActions = await db.InstanceActions.AsNoTracking().GroupBy(a => a.InstanceId)
            .Select(g => new { g.Key, To = g.OrderByDescending(a => a.Id).Select(a => a.ToStatus).First() }).ToDictionaryAsync(x => x.Key, x => x.To);
        foreach (var i in instances.Where(i => lastActions.GetValueOrDefault(i.Id) != i.Status))
            problems.Add($"instance {i.Id} is {i.Status}; its trail ends at {lastActions.GetValueOrDefault(i.Id)}");
        // No instance on two hosts, and each placed one exactly where the database says, as it says.
        var vms = fleet.Vms().Where(v => v.Vm.HostId != Guid.Empty).ToList();
        foreach (var twice in vms.GroupBy(v => v.Vm.InstanceId).Where(g => g.Count() > 1))
            problems.Add($"instance {twice.Key} runs on {twice.Count()} hosts: {string.Join(", ", twice.Select(v => v.Vm.HostId))}");
        var byId = vms.GroupBy(v => v.Vm.InstanceId).ToDictionary(g => g.Key, g => g.First().Vm);
        foreach (var i in instances)
        {
            var vm = byId.GetValueOrDefault(i.Id);
            switch (i.Status)
            {
                // On a host: its VM is there, and only there, in the same power state.
                case InstanceStatus.Running or InstanceStatus.Stopped when i.HostId is not null
                                                                           && (vm is null || vm.HostId != i.HostId
                                                                               || vm.Power != (i.Status == InstanceStatus.Running ? VmPowerState.Running : VmPowerState.Shutoff)):
                    problems.Add($"instance {i.Id} is {i.Status} on {i.HostId}; the agents hold {(vm is null ? "no VM" : $"{vm.Power} on {vm.HostId}")}");
                    break;
                // On no host (deleted, waiting, evacuated while stopped): no VM of it on any host (stale copies are fenced).
                case not InstanceStatus.Error when i.HostId is null && vm is not null:
                    problems.Add($"instance {i.Id} is {i.Status} on no host; a VM of it is on {vm.HostId}");
                    break;
            }
        }
        return (problems, instances, hosts, vms);
    }

    public static PostgresDbContext Db(string connectionString) =>
        new(new DbContextOptionsBuilder<PostgresDbContext>().UsePostgres(connectionString).Options, TimeProvider.System);

    public static void WriteArtifact(string name, string text)
    {
        if (ChildProcess.RepoRoot() is not { } root) return;
        var dir = Path.Combine(root, "artifacts", "reliability");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name), text);
    }
}
