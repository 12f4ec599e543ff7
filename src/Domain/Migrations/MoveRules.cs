namespace IaasApi.Domain.Migrations;

/// <summary>A hard anti-affinity group as the planners see it: at most <paramref name="MaxPerHost"/> members on one host.</summary>
public sealed record PlannerGroup(Guid Id, int MaxPerHost);

/// <summary>
/// What a planned move must respect besides capacity — the rules placement enforces when the move is executed, so a
/// plan never promises a move the executor will refuse: the hosts that pass the instance's own filters
/// (<see cref="PlannerInstance.Targets"/>: zone, hypervisor, capabilities, CPU, traits), hard anti-affinity (at most a
/// group's <c>maxPerHost</c> members on a host) and the cloud-wide cap on instances per host. It keeps the counts of a
/// placement as it is being built (<see cref="Place"/>, <see cref="Remove"/>). Hard affinity is not here: members of an
/// affinity group cannot move one at a time, so the caller leaves them where they are.
/// </summary>
public sealed class MoveRules
{
    private readonly IReadOnlyDictionary<Guid, PlannerGroup> _groups;
    private readonly int _maxInstancesPerHost;
    private readonly Dictionary<(Guid Group, Guid Host), int> _members = [];
    private readonly Dictionary<Guid, int> _instances = [];

    public MoveRules(IEnumerable<PlannerGroup> groups, int maxInstancesPerHost)
    {
        _groups = groups.ToDictionary(g => g.Id);
        _maxInstancesPerHost = maxInstancesPerHost;
    }

    /// <summary>No rules but capacity.</summary>
    public static MoveRules None => new([], 0);

    /// <summary>The same rules with nothing placed yet (a new assignment built from scratch).</summary>
    public MoveRules Empty() => new(_groups.Values, _maxInstancesPerHost);

    /// <summary>Counts an instance on a host: a movable one, or one that stays (<paramref name="groupId"/> its group, if any).</summary>
    public void Place(Guid? groupId, Guid hostId)
    {
        _instances[hostId] = InstancesOn(hostId) + 1;
        if (groupId is { } g && _groups.ContainsKey(g)) _members[(g, hostId)] = MembersOn(g, hostId) + 1;
    }

    public void Remove(Guid? groupId, Guid hostId)
    {
        _instances[hostId] = InstancesOn(hostId) - 1;
        if (groupId is { } g && _groups.ContainsKey(g)) _members[(g, hostId)] = MembersOn(g, hostId) - 1;
    }

    /// <summary>Whether <paramref name="instance"/>, counted nowhere at the moment, may go to <paramref name="hostId"/>.</summary>
    public bool Allows(PlannerInstance instance, Guid hostId) =>
        (instance.Targets is null || instance.Targets.Contains(hostId))
        && (_maxInstancesPerHost <= 0 || InstancesOn(hostId) < _maxInstancesPerHost)
        && (instance.GroupId is not { } g || !_groups.TryGetValue(g, out var group) || MembersOn(g, hostId) < group.MaxPerHost);

    /// <summary>Whether moving <paramref name="instance"/>, counted on <paramref name="from"/>, to <paramref name="to"/> keeps the rules.</summary>
    public bool AllowsMove(PlannerInstance instance, Guid from, Guid to)
    {
        Remove(instance.GroupId, from);
        var allowed = Allows(instance, to);
        Place(instance.GroupId, from);
        return allowed;
    }

    private int InstancesOn(Guid hostId) => _instances.TryGetValue(hostId, out var n) ? n : 0;

    private int MembersOn(Guid groupId, Guid hostId) => _members.TryGetValue((groupId, hostId), out var n) ? n : 0;
}
