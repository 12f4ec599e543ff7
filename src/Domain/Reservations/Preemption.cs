using IaasApi.Domain.Common;

namespace IaasApi.Domain.Reservations;

/// <summary>A preemptible instance as preemption sees it.</summary>
public sealed record Borrower(Guid InstanceId, int Priority, DateTimeOffset Since, Resources Resources);

public static class Preemption
{
    /// <summary>
    /// The borrowers to suspend so that <paramref name="needed"/> more fits on a host that can hand out
    /// <paramref name="usable"/> and holds <paramref name="allocated"/>: lowest SLA priority first, then the most recent
    /// (the one that has run least loses least), until it fits. Empty if it already fits; null if even all of them
    /// would not be enough.
    /// </summary>
    public static IReadOnlyList<Borrower>? Victims(IReadOnlyList<Borrower> borrowers, Resources usable, Resources allocated, Resources needed)
    {
        var victims = new List<Borrower>();
        var freed = Resources.Zero;
        foreach (var b in borrowers.OrderBy(b => b.Priority).ThenByDescending(b => b.Since).ThenByDescending(b => b.InstanceId))
        {
            if (HostTimeline.Fits(allocated - freed + needed, usable)) break;
            victims.Add(b);
            freed += b.Resources;
        }
        return HostTimeline.Fits(allocated - freed + needed, usable) ? victims : null;
    }
}
