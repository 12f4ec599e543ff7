using IaasApi.Domain.Catalog;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Placement;
using IaasApi.Domain.ServerGroups;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Placement;

namespace IaasApi.Infrastructure.VmMigrations;

/// <summary>What migrating one instance would take, before anything is claimed or moved.</summary>
/// <param name="Prediction">Under the policy that would apply; null for a stopped instance (it migrates cold).</param>
/// <param name="Alternatives">The same migration under each escalation, so an operator sees what each would cost.</param>
public sealed record MigrationPreview(Guid InstanceId, HostCandidate Source, HostCandidate Target, GuestMemory? Guest, MigrationLink Link,
                                      ConvergencePolicy Policy, PreCopyResult? Prediction,
                                      IReadOnlyDictionary<ConvergenceEscalation, PreCopyResult> Alternatives,
                                      MigrationType RecommendedType, ConvergenceEscalation? RecommendedEscalation, string Recommendation);

/// <summary>
/// Chooses where an instance would migrate (the placement engine, unless the caller names the host) and predicts the
/// migration with the pre-copy model from the guest's memory behaviour as its driver reports it.
/// </summary>
public sealed class MigrationPlanner(IaasDbContext db, HostClaimer claimer, HostSnapshot snapshot, HypervisorDrivers drivers,
                                     CatalogCache catalog, PlacementPipeline pipeline, IOptions<IaasOptions> options)
{
    /// <summary>Mbps (10⁶ bit/s, as host capacities are declared) per MiB/s.</summary>
    public const double MbpsPerMiBps = 8 * 1.048576;

    /// <summary>
    /// The instance (running or stopped, on a host) and where it would go: <paramref name="targetHostId"/> if it passes
    /// the filters, else placement's first choice; 404 for an unknown instance or host, 409 when nothing fits.
    /// </summary>
    private async Task<(Instance Instance, HostCandidate Source, HostCandidate Target)> ChooseTargetAsync(Guid instanceId, Guid? targetHostId,
                                                                                                         CancellationToken ct)
    {
        var instance = await db.Instances.AsNoTracking().SingleOrDefaultAsync(i => i.Id == instanceId && i.Status != InstanceStatus.Deleted, ct)
                       ?? throw new NotFoundException("instance", instanceId);
        if (instance.Status is not (InstanceStatus.Running or InstanceStatus.Stopped) || instance.HostId is not { } sourceId)
            throw new InvalidStateException(
                $"Instance '{instance.Name}' is {EnumWords.ToWord(instance.Status)}; only a running (live) or stopped (cold) instance on a host migrates.");
        if (targetHostId is { } t && !await db.Hosts.AsNoTracking().AnyAsync(h => h.Id == t, ct)) throw new NotFoundException("host", t);
        var (source, target) = await RankTargetAsync(instance, sourceId, targetHostId, ct,
            instance.Status == InstanceStatus.Stopped ? MigrationType.Cold : MigrationType.Live);
        return (instance, source, target);
    }

    /// <summary>
    /// Where <paramref name="instance"/> on <paramref name="sourceId"/> would go now, on a fresh snapshot: the named host
    /// if it passes the filters, else placement's first choice; <see cref="NoValidHostException"/> when nothing fits.
    /// </summary>
    public async Task<(HostCandidate Source, HostCandidate Target)> RankTargetAsync(Instance instance, Guid sourceId, Guid? targetHostId,
                                                                                    CancellationToken ct, MigrationType type = MigrationType.Live)
    {
        if (instance.FlavorId is not { } flavorId || instance.ImageId is not { } imageId || instance.SlaPlanId is not { } planId)
            throw new InvalidStateException($"Instance '{instance.Name}' lost its flavor, image or SLA plan; it cannot be placed elsewhere.");
        var flavor = await catalog.FlavorAsync(db, flavorId, ct);
        var image = await catalog.ImageAsync(db, imageId, ct);
        var plan = await catalog.PlanAsync(db, planId, ct);

        var hosts = await snapshot.GetAsync(db, ct, fresh: true);
        var source = hosts.FirstOrDefault(h => h.Id == sourceId) ?? throw new InvalidStateException("The instance's host is no longer known.");
        var ranked = await RankMigrationTargetsAsync(instance, source, flavor, image, plan, targetHostId, ct, type);
        var target = ranked.Ranked.FirstOrDefault()?.Host
                     ?? throw new NoValidHostException(ranked.Trace, targetHostId is { } named
                         ? $"Host {named} cannot take instance '{instance.Name}': {NoValidHostException.Reason(ranked.Trace)}."
                         : $"No host can take instance '{instance.Name}' from its host: {NoValidHostException.Reason(ranked.Trace)}.");
        return (source, target);
    }

    /// <summary>The link a migration over <paramref name="mbps"/> (hosts declare Mbps; unknown: 1 Gbit/s) gets in the model.</summary>
    public MigrationLink LinkFor(int mbps) => new((mbps > 0 ? mbps : 1000) / MbpsPerMiBps, options.Value.Migration.SwitchoverMs);

    /// <summary>The pre-copy model's time for one instance on <paramref name="host"/>, from its driver's view of the guest, under its plan's policy.</summary>
    public async Task<double> EstimateMsAsync(Host host, Instance instance, CancellationToken ct, MigrationType type = MigrationType.Live)
    {
        // Cold: the whole disk at the link's rate (the control plane does not know how much of it is written: an upper bound).
        if (type == MigrationType.Cold) return instance.Resources.DiskGiB * 1024.0 / LinkFor(host.Capacity.NetworkMbps).BandwidthMiBps * 1000;
        var (guest, _) = await GuestOfAsync(new HostRef(host.Id, host.Name, host.Hypervisor), instance, ct);
        var (link, _) = await EffectiveLinkAsync(instance.Id, host.Id, host.ZoneId, host.Hypervisor, host.Capacity.NetworkMbps, host.Capacity.NetworkMbps, ct);
        var plan = instance.SlaPlanId is { } planId ? await catalog.PlanAsync(db, planId, ct) : null;
        return PreCopySimulation.Predict(guest, link, options.Value.Migration.Policy(plan)).TotalMs;
    }

    /// <summary>
    /// The guest's memory behaviour: what its host's agent measured lately (within four of its measuring intervals), else
    /// its driver's answer where this process can look into the guest (the fake; a qemu VM only in its own agent), else an
    /// idle guest — with a note saying which.
    /// </summary>
    private async Task<(GuestMemory Guest, string? Note)> GuestOfAsync(HostRef host, Instance instance, CancellationToken ct)
    {
        var memory = Math.Max(1, instance.Resources.MemoryMiB);
        var fresh = TimeSpan.FromSeconds(4 * Math.Max(1, options.Value.Health.GuestStatsSeconds));
        if (instance.GuestMeasuredAt is { } at && db.Clock.GetUtcNow() - at <= fresh && instance.GuestTouchedMiB is { } touched)
            return (new GuestMemory(memory, Math.Min(memory, touched), Math.Min(memory, instance.GuestWorkingSetMiB ?? 1), instance.GuestDirtyRateMiBps ?? 1),
                    $"The guest's memory as its host's agent measured it {(db.Clock.GetUtcNow() - at).TotalSeconds:F0} s ago. ");
        try
        {
            return (await drivers.For<IGuestStatsDriver>(host.Hypervisor).GetGuestMemoryAsync(host, instance.Id, ct), null);
        }
        catch (HypervisorException ex)
        {
            return (GuestMemory.Idle(memory), $"The guest's memory use could not be read ({ex.Message}); this assumes an idle guest. ");
        }
    }

    /// <summary>
    /// The link the model runs at: the hosts' (or the requested) bandwidth — unless past migrations fell short of their
    /// link (QEMU under TCG is CPU-bound far below a 10 Gbit/s link). Then the figures they reached, learned from the last
    /// ten completed live migrations that were host-bound — this instance's own (its guest competes for the CPU the
    /// migration needs), else the source host's, else those of its zone's hosts of its kind: <see cref="HostMigrationRate"/>
    /// fits time = setup + MiB / rate through them.
    /// </summary>
    private async Task<(MigrationLink Link, string? Note)> EffectiveLinkAsync(Guid instanceId, Guid sourceId, Guid zoneId, string hypervisor, int mbps,
                                                                             int sourceMbps, CancellationToken ct)
    {
        var link = LinkFor(mbps);
        var learned = await HostBoundAsync(db.Migrations.AsNoTracking().Where(m => m.InstanceId == instanceId), sourceMbps, ct)
                      ?? await HostBoundAsync(db.Migrations.AsNoTracking().Where(m => m.SourceHostId == sourceId), sourceMbps, ct)
                      ?? await HostBoundAsync(db.Migrations.AsNoTracking()
                             .Where(m => db.Hosts.Any(h => h.Id == m.SourceHostId && h.ZoneId == zoneId && h.Hypervisor == hypervisor)), sourceMbps, ct);
        if (learned is not { } host || host.RateMiBps >= link.BandwidthMiBps) return (link, null);
        return (link with { BandwidthMiBps = host.RateMiBps, SetupMs = host.SetupMs },
                $"Sent at {host.RateMiBps:F0} MiB/s after {host.SetupMs:F0} ms of setup, as recent migrations went ({host.Samples} of them, " +
                $"below the link's {link.BandwidthMiBps:F0} MiB/s). ");
    }

    private async Task<HostMigrationRate?> HostBoundAsync(IQueryable<Domain.Migrations.Migration> migrations, int sourceMbps, CancellationToken ct)
    {
        var recent = await migrations
            .Where(m => m.Type == MigrationType.Live && m.Status == MigrationStatus.Completed && m.HypervisorTotalMs > 0 && m.TransferredMiB > 0)
            .OrderByDescending(m => m.Id).Take(10)
            .Select(m => new { m.TransferredMiB, m.HypervisorTotalMs, m.BandwidthMbps }).ToListAsync(ct);
        var samples = recent.Where(m => m.TransferredMiB!.Value / (m.HypervisorTotalMs!.Value / 1000) < 0.8 * LinkFor(m.BandwidthMbps ?? sourceMbps).BandwidthMiBps)
            .Select(m => (m.TransferredMiB!.Value, m.HypervisorTotalMs!.Value)).ToList();
        return HostMigrationRate.Fit(samples);
    }

    public async Task<MigrationPreview> PreviewAsync(Guid instanceId, Guid? targetHostId, int? maxDowntimeMs, int? bandwidthMbps, CancellationToken ct)
    {
        var (instance, source, target) = await ChooseTargetAsync(instanceId, targetHostId, ct);
        var mbps = bandwidthMbps ?? Math.Min(source.Capacity.NetworkMbps, target.Capacity.NetworkMbps);
        if (mbps <= 0)
            throw new FieldValidationException("bandwidthMbps", "The hosts declare no network capacity; say which bandwidth the migration may use.");
        var o = options.Value.Migration;
        var (link, linkNote) = await EffectiveLinkAsync(instance.Id, source.Id, source.ZoneId, source.Hypervisor, mbps, source.Capacity.NetworkMbps, ct);
        var plan = instance.SlaPlanId is { } planId ? await catalog.PlanAsync(db, planId, ct) : null;
        var policy = o.Policy(plan, maxDowntimeMs);

        if (instance.Status == InstanceStatus.Stopped)
            return new MigrationPreview(instance.Id, source, target, null, link, policy, null, new Dictionary<ConvergenceEscalation, PreCopyResult>(),
                MigrationType.Cold, null, "The instance is stopped: it migrates cold (its disks are copied; no memory to chase).");

        var (guest, unknown) = await GuestOfAsync(new HostRef(source.Id, source.Name, source.Hypervisor), instance, ct);
        unknown += linkNote;
        var alternatives = Enum.GetValues<ConvergenceEscalation>()
            .ToDictionary(e => e, e => PreCopySimulation.Predict(guest, link, policy with { Escalation = e }));
        var (escalation, why) = Recommend(alternatives);
        return new MigrationPreview(instance.Id, source, target, guest, link, policy, alternatives[policy.Escalation], alternatives,
            MigrationType.Live, escalation, unknown + why);
    }

    /// <summary>Pre-copy alone if it converges; else throttling if that converges; else post-copy (which always switches).</summary>
    private static (ConvergenceEscalation? Escalation, string Why) Recommend(IReadOnlyDictionary<ConvergenceEscalation, PreCopyResult> alternatives)
    {
        var alone = alternatives[ConvergenceEscalation.Abort];
        if (alone.Outcome == PreCopyOutcome.Converged)
            return (null, $"Pre-copy converges on its own in {alone.Rounds.Count} round(s): {alone.TotalMs:F0} ms, {alone.DowntimeMs:F0} ms of downtime.");
        var throttled = alternatives[ConvergenceEscalation.AutoConverge];
        if (throttled.Outcome == PreCopyOutcome.Converged)
            return (ConvergenceEscalation.AutoConverge,
                $"Pre-copy alone does not converge; throttling the guest to {throttled.FinalThrottle:P0} does, in {throttled.TotalMs:F0} ms.");
        var post = alternatives[ConvergenceEscalation.PostCopy];
        return (ConvergenceEscalation.PostCopy,
            $"Pre-copy does not converge even throttled; post-copy switches over after {post.Rounds.Count} round(s) with {post.DowntimeMs:F0} ms of " +
            "downtime and pulls the rest while the guest runs on the target (a failure then loses the guest).");
    }

    /// <summary>
    /// A consolidation dry run for a zone: which running instances would move where so that as many hosts as possible
    /// end up empty. Only hosts whose instances may all move live take part (running, outside reservation slots, not
    /// held together by a hard affinity group: the others cannot be emptied by live migration and are left as they are);
    /// every move respects the placement rules (<see cref="MoveRules"/>); nothing is claimed or moved.
    /// </summary>
    public async Task<(ConsolidationPlan Plan, int Hosts, int FirstFitDecreasingFreed)> ConsolidationAsync(Guid zoneId, CancellationToken ct)
    {
        var (hosts, instances) = await ZoneAsync(zoneId, ct);
        var rules = await RulesAsync(hosts, instances, ct);
        var pinned = instances.Where(i => !rules.Movable.ContainsKey(i.Id)).Select(i => i.HostId!.Value).ToHashSet();
        var planners = new List<PlannerHost>();
        foreach (var h in hosts.Where(h => !pinned.Contains(h.Id)))
        {
            var on = new List<PlannerInstance>();
            foreach (var i in instances.Where(i => i.HostId == h.Id))
                on.Add(rules.Movable[i.Id] with { MigrationMs = await EstimateMsAsync(h, i, ct) });
            planners.Add(new PlannerHost(h.Id, h.UsableUnits, on));
        }
        var parallel = Math.Max(1, options.Value.Maintenance.MaxParallelPerZone);
        return (ConsolidationPlanner.Plan(planners, parallel, rules.Rules), planners.Count, ConsolidationPlanner.FirstFitDecreasingFreed(planners));
    }

    /// <summary>
    /// The rebalancing dry run on a zone's enabled, powered-on hosts: running instances outside reservation slots and
    /// hard affinity groups may move (live), where the placement rules allow; everything else holding capacity counts as
    /// the host's pinned load (and for the rules).
    /// </summary>
    public async Task<(RebalancePlan Plan, int Hosts)> RebalanceAsync(Guid zoneId, double targetImbalance, int maxMoves, CancellationToken ct)
    {
        var (hosts, instances) = await ZoneAsync(zoneId, ct);
        var rules = await RulesAsync(hosts, instances, ct);
        var planners = new List<PlannerHost>();
        foreach (var h in hosts)
        {
            var on = instances.Where(i => i.HostId == h.Id).ToList();
            var staying = on.Where(i => !rules.Movable.ContainsKey(i.Id)).ToList();
            var pinned = staying.Aggregate(Resources.Zero, (sum, i) => sum + i.Resources) + h.IdleReserved;
            var candidates = new List<PlannerInstance>();
            foreach (var i in on.Where(i => rules.Movable.ContainsKey(i.Id)))
                candidates.Add(rules.Movable[i.Id] with { MigrationMs = await EstimateMsAsync(h, i, ct) });
            planners.Add(new PlannerHost(h.Id, h.UsableUnits, candidates, pinned, staying.Select(i => i.ServerGroupId).ToList()));
        }
        var parallel = Math.Max(1, options.Value.Maintenance.MaxParallelPerZone);
        return (RebalancePlanner.Plan(planners, targetImbalance, maxMoves, parallel, rules.Rules), planners.Count);
    }

    /// <summary>The zone's enabled, powered-on hosts (by id) and the instances on them.</summary>
    private async Task<(List<Host> Hosts, List<Instance> Instances)> ZoneAsync(Guid zoneId, CancellationToken ct)
    {
        if (!await db.Zones.AsNoTracking().AnyAsync(z => z.Id == zoneId, ct)) throw new NotFoundException("zone", zoneId);
        var hosts = await db.Hosts.AsNoTracking().Where(h => h.ZoneId == zoneId && h.State == HostState.Enabled
                                                             && h.Power == HostPower.On).OrderBy(h => h.Id).ToListAsync(ct);
        var ids = hosts.Select(h => h.Id).ToList();
        var instances = await db.Instances.AsNoTracking()
            .Where(i => i.HostId != null && ids.Contains(i.HostId.Value) && i.Status != InstanceStatus.Deleted).OrderBy(i => i.Id).ToListAsync(ct);
        return (hosts, instances);
    }

    /// <summary>
    /// The placement rules the planners keep, from the same filters placement applies to a live migration: for each
    /// instance that may move (running, outside reservation slots, not in a hard affinity group, its catalog entries
    /// still there) the hosts among <paramref name="hosts"/> its own filters accept (capacity aside: the planners count
    /// it); hard anti-affinity groups; the cloud-wide cap on instances per host.
    /// </summary>
    private async Task<(MoveRules Rules, Dictionary<Guid, PlannerInstance> Movable)> RulesAsync(List<Host> hosts, List<Instance> instances,
                                                                                               CancellationToken ct)
    {
        var groupIds = instances.Where(i => i.ServerGroupId != null).Select(i => i.ServerGroupId!.Value).Distinct().ToList();
        var groups = await db.ServerGroups.AsNoTracking().Where(g => groupIds.Contains(g.Id)).ToDictionaryAsync(g => g.Id, ct);
        var antiAffinity = groups.Values.Where(g => g.Policy == ServerGroupPolicy.AntiAffinity).ToDictionary(g => g.Id, g => g.MaxPerHost ?? 1);
        var ids = hosts.Select(h => h.Id).ToHashSet();
        var candidates = (await snapshot.GetAsync(db, ct, fresh: true)).Where(h => ids.Contains(h.Id)).ToArray();
        var movable = new Dictionary<Guid, PlannerInstance>();
        foreach (var i in instances.Where(i => i.Status == InstanceStatus.Running && i.ReservationId == null))
        {
            if (i.ServerGroupId is { } g && groups.TryGetValue(g, out var group) && group.Policy == ServerGroupPolicy.Affinity) continue;
            if (i.FlavorId is not { } flavorId || i.ImageId is not { } imageId || i.SlaPlanId is not { } planId) continue;
            if (candidates.FirstOrDefault(h => h.Id == i.HostId) is not { } source) continue;
            var request = MigrationRequest(i, source, await catalog.FlavorAsync(db, flavorId, ct), await catalog.ImageAsync(db, imageId, ct),
                await catalog.PlanAsync(db, planId, ct), group: null) with
            {
                Demand = Resources.Zero, MaxInstancesPerHost = 0, ExcludedHosts = new HashSet<Guid>(),
            };
            var targets = pipeline.Rank(request, candidates).Ranked.Select(r => r.Host.Id).Append(source.Id).ToHashSet();
            movable[i.Id] = new PlannerInstance(i.Id, i.Resources, 0,
                i.ServerGroupId is { } anti && antiAffinity.ContainsKey(anti) ? anti : null, targets);
        }
        var rules = new MoveRules(antiAffinity.Select(g => new PlannerGroup(g.Key, g.Value)), options.Value.Placement.MaxInstancesPerHost);
        return (rules, movable);
    }

    /// <summary>
    /// Where <paramref name="instance"/> could live-migrate from <paramref name="source"/>: the create's filters for its
    /// flavor, image and plan (its server group included), on hosts of the same hypervisor kind with live migration, whose
    /// CPU offers every feature the source's does (the guest saw them), never the source itself; only
    /// <paramref name="onlyHost"/> when the caller names the target. Ranked on a fresh snapshot; nothing claimed.
    /// </summary>
    public async Task<PlacementResult> RankMigrationTargetsAsync(Instance instance, HostCandidate source, Flavor flavor, Image image, SlaPlan plan,
                                                                 Guid? onlyHost, CancellationToken ct,
                                                                 Domain.Migrations.MigrationType type = Domain.Migrations.MigrationType.Live)
    {
        var hosts = await snapshot.GetAsync(db, ct, fresh: true);
        var group = instance.ServerGroupId is { } groupId ? await db.ServerGroups.AsNoTracking().SingleOrDefaultAsync(g => g.Id == groupId, ct) : null;
        var request = MigrationRequest(instance, source, flavor, image, plan, await claimer.GroupPlacementAsync(group, ct), type);
        var candidates = onlyHost is { } id ? hosts.Where(h => h.Id == id).ToArray() : hosts;
        return pipeline.Rank(request, candidates, top: 20, detailed: true);
    }

    /// <summary>
    /// What a migration of <paramref name="instance"/> from <paramref name="source"/> asks of a target: the create's
    /// requirements for its flavor, image and plan (its server group as <paramref name="group"/> places it), the source's
    /// hypervisor kind with the migration's capability, for a live move every CPU feature the guest saw, never the source.
    /// </summary>
    public PlacementRequest MigrationRequest(Instance instance, HostCandidate source, Flavor flavor, Image image, SlaPlan plan, GroupPlacement? group,
                                             Domain.Migrations.MigrationType type = Domain.Migrations.MigrationType.Live)
    {
        // Live: the target's driver migrates live and its CPU offers every feature the guest saw on the source. Cold: the
        // guest boots again there, so only the flavor's and image's own CPU needs count.
        var live = type == Domain.Migrations.MigrationType.Live;
        var request = PlacementRequests.For(flavor, image, plan, instance.ZoneId, group, options.Value.Placement.MaxInstancesPerHost);
        return request with
        {
            Demand = instance.Resources,
            RequiredHypervisor = source.Hypervisor,
            RequiredCapabilities = request.RequiredCapabilities
                .Append(live ? Domain.Hypervisors.CapabilityNames.LiveMigration : Domain.Hypervisors.CapabilityNames.ColdMigration)
                .Distinct(StringComparer.Ordinal).ToArray(),
            RequiredCpuFeatures = live
                ? request.RequiredCpuFeatures.Concat(source.CpuFeatures).Distinct(StringComparer.OrdinalIgnoreCase).ToArray()
                : request.RequiredCpuFeatures,
            ExcludedHosts = new HashSet<Guid> { source.Id },
        };
    }
}
