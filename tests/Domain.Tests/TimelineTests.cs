using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Reservations;

namespace IaasApi.Domain.Tests;

/// <summary>The capacity timeline's arithmetic: peaks, what each scheme may take, planning slots, windows, preemption order.</summary>
public sealed class TimelineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Resources Unit = new(2, 4096, 20, 0);
    private static readonly Resources Host8 = new(8, 16384, 100, 1000);

    private static DateTimeOffset H(int hours) => T0 + TimeSpan.FromHours(hours);

    private static Interval Slot(int from, int to, int units = 1) => new(H(from), H(to), Unit * units);

    private static HostTimeline Host(IReadOnlyList<Interval> slots, int persistentUnits = 0, int borrowedUnits = 0, int idleUnits = 0, Guid? id = null) =>
        new(id ?? Guid.NewGuid(), Host8, Unit * persistentUnits, Unit * borrowedUnits, Resources.Zero, slots, Unit * idleUnits);

    [Fact]
    public void Peak_SumsOverlappingSlots_ButNotTouchingOnes()
    {
        Assert.Equal(Unit * 2, HostTimeline.Peak([Slot(0, 4), Slot(2, 6)], H(0), H(10)));
        Assert.Equal(Unit, HostTimeline.Peak([Slot(0, 4), Slot(4, 6)], H(0), H(10)));          // [0,4) then [4,6)
        Assert.Equal(Unit, HostTimeline.Peak([Slot(0, 4), Slot(2, 6)], H(4), H(10)));          // only the second from 4 on
        Assert.Equal(Resources.Zero, HostTimeline.Peak([Slot(0, 4)], H(5), H(10)));
        Assert.Equal(Unit * 3, HostTimeline.Peak([Slot(0, 10), Slot(1, 2), Slot(1, 3), Slot(5, 6)], H(0), H(10)));
    }

    [Fact]
    public void Peak_IsPerResource()
    {
        var cpu = new Interval(H(0), H(2), new Resources(4, 1024, 0, 0));
        var memory = new Interval(H(3), H(5), new Resources(1, 8192, 0, 0));
        Assert.Equal(new Resources(4, 8192, 0, 0), HostTimeline.Peak([cpu, memory], H(0), H(10)));
    }

    [Fact]
    public void NonPreemptible_MustFitBesideEveryFutureReservation_PreemptibleOnlyNow()
    {
        var host = Host([Slot(2, 4, 3)], persistentUnits: 0);
        Assert.True(host.CanRunPersistent(Unit, H(0)));
        Assert.False(host.CanRunPersistent(Unit * 2, H(0)));           // 3 units reserved later: only 1 of 4 is free for good
        Assert.True(host.CanRunPreemptible(Unit * 4));                 // borrows the reserved capacity until 2h
        Assert.True(host.CanRunPersistent(Unit * 4, H(4)));            // after the window, all of it
    }

    [Fact]
    public void IdleCapacityOfAStartedReservation_IsNotBorrowable()
    {
        var host = Host([Slot(0, 4, 2)], idleUnits: 2);
        Assert.True(host.CanRunPreemptible(Unit * 2));
        Assert.False(host.CanRunPreemptible(Unit * 3));
    }

    [Fact]
    public void CanReserve_CountsNonPreemptibleInstancesAtEveryInstant_AndIgnoresBorrowers()
    {
        var host = Host([Slot(0, 4, 2)], persistentUnits: 1, borrowedUnits: 1);
        Assert.True(host.CanReserve(Unit, H(2), H(6)));
        Assert.False(host.CanReserve(Unit * 2, H(2), H(6)));
        Assert.True(host.CanReserve(Unit * 3, H(4), H(6)));
        Assert.Equal(3, host.SlotsFitting(Unit, H(4), H(6)));
    }

    [Fact]
    public void Assign_Packs_OrSpreads_OrRefuses()
    {
        var hosts = Enumerable.Range(0, 3).Select(_ => Host([])).OrderBy(h => h.HostId).ToList();
        var packed = CapacityPlanner.Assign(hosts, Unit, 4, H(0), H(1), PlacementStrategy.Pack)!;
        Assert.Single(packed.Distinct());
        var spread = CapacityPlanner.Assign(hosts, Unit, 3, H(0), H(1), PlacementStrategy.Spread)!;
        Assert.Equal(3, spread.Distinct().Count());
        Assert.Null(CapacityPlanner.Assign(hosts, Unit, 13, H(0), H(1), PlacementStrategy.Pack));
        Assert.Equal(12, CapacityPlanner.Room(hosts, Unit, H(0), H(1)));
    }

    [Fact]
    public void EarliestStart_IsWhenEnoughSlotsEnd()
    {
        var hosts = new List<HostTimeline> { Host([Slot(0, 3, 4)]), Host([Slot(0, 5, 2)]) };
        Assert.Equal(H(0), CapacityPlanner.EarliestStart(hosts, Unit, 2, H(0), TimeSpan.FromHours(1)));
        Assert.Equal(H(3), CapacityPlanner.EarliestStart(hosts, Unit, 4, H(0), TimeSpan.FromHours(1)));
        Assert.Equal(H(5), CapacityPlanner.EarliestStart(hosts, Unit, 8, H(0), TimeSpan.FromHours(1)));
        Assert.Null(CapacityPlanner.EarliestStart(hosts, Unit, 9, H(0), TimeSpan.FromHours(1)));
    }

    [Fact]
    public void CapacitySeries_AgreesWithTheDefinition_OnRandomTimelines()
    {
        var random = new Random(11);
        for (var round = 0; round < 200; round++)
        {
            var hosts = Enumerable.Range(0, random.Next(1, 6)).Select(_ =>
            {
                var slots = Enumerable.Range(0, random.Next(0, 8)).Select(_ =>
                {
                    var start = random.Next(-5, 30);
                    return Slot(start, start + random.Next(1, 10), random.Next(1, 3));
                }).ToList();
                return Host(slots, persistentUnits: random.Next(0, 2), borrowedUnits: random.Next(0, 2));
            }).ToList();
            var now = H(random.Next(0, 5));
            var points = CapacityView.Series(hosts, now, H(0), H(30), TimeSpan.FromHours(1));
            Assert.Equal(31, points.Count);
            foreach (var point in points)
            {
                var reserved = hosts.Aggregate(Resources.Zero, (sum, h) => sum + h.ReservedAt(point.At));
                Assert.Equal(reserved.Vcpus, point.Reserved.Vcpus);
                Assert.Equal(reserved.MemoryMiB, point.Reserved.MemoryMiB);
                var free = hosts.Sum(h => Math.Max(0, h.Usable.Vcpus - (point.At <= now ? h.Persistent + h.Borrowed : h.Persistent).Vcpus - h.ReservedAt(point.At).Vcpus));
                Assert.Equal(free, point.Free.Vcpus);
            }
        }
    }

    [Fact]
    public void Victims_AreLowestPriorityFirst_ThenTheNewest_AndOnlyAsManyAsNeeded()
    {
        var old = new Borrower(Guid.NewGuid(), 100, H(0), Unit);
        var young = new Borrower(Guid.NewGuid(), 100, H(1), Unit);
        var important = new Borrower(Guid.NewGuid(), 900, H(2), Unit);
        var victims = Preemption.Victims([old, important, young], Host8, Unit * 4, Unit)!;
        Assert.Equal([young.InstanceId], victims.Select(v => v.InstanceId));
        victims = Preemption.Victims([old, important, young], Host8, Unit * 4, Unit * 3)!;
        Assert.Equal([young.InstanceId, old.InstanceId, important.InstanceId], victims.Select(v => v.InstanceId));
        Assert.Empty(Preemption.Victims([old], Host8, Unit, Unit)!);
        Assert.Null(Preemption.Victims([old], Host8, Unit * 4, Unit * 2));
    }

    [Fact]
    public void Reservation_WindowsAreWholeSeconds_AndAStartedOneKeepsItsStart()
    {
        var r = new Reservation(Guid.NewGuid(), "lease", Guid.NewGuid(), Unit, 2, Guid.NewGuid(), Guid.NewGuid(),
            T0 + TimeSpan.FromMilliseconds(1500), H(2), OnEndAction.Delete, true, 60, T0);
        Assert.Equal(T0 + TimeSpan.FromSeconds(1), r.Start);
        Assert.Equal(H(2) + TimeSpan.FromMinutes(1), r.ReleaseAt);
        r.Activate(H(0));
        Assert.Throws<InvalidStateException>(() => r.Reschedule(H(1), null, H(0)));
        r.Reschedule(null, H(3), H(0));
        Assert.Equal(H(3), r.End);
        Assert.Equal(2, r.Close(cancel: false, H(3)));
        Assert.Equal((ReservationStatus.Ended, 0), (r.Status, r.UnitsFree));
        Assert.Throws<InvalidStateException>(() => r.Close(cancel: true, H(3)));
    }

    [Fact]
    public void APreemptedInstance_IsSuspended_ThenResumesWhereverCapacityIs()
    {
        var instance = Instance.Place("vm", Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Unit, null, Guid.NewGuid(),
            Guid.NewGuid(), "key:test", Guid.NewGuid(), T0);
        instance.MoveTo(InstanceStatus.Running, "spawned", "worker", null, T0);
        var first = instance.HostId;
        instance.ReleaseResources();
        instance.Suspend("scheduler", Guid.NewGuid(), H(1), "preempted for a lease");
        Assert.Equal((InstanceStatus.Suspended, H(1), (Guid?)null, first), (instance.Status, instance.QueuedAt, instance.HostId, instance.LastHostId));
        var elsewhere = Guid.NewGuid();
        instance.Resume(elsewhere, Guid.NewGuid(), "scheduler", Guid.NewGuid(), H(2));
        Assert.Equal((InstanceStatus.Starting, elsewhere, (DateTimeOffset?)null), (instance.Status, instance.HostId, instance.QueuedAt));
        Assert.Equal(["preempted", "resume"], instance.Actions.Skip(2).Select(a => a.Action));
    }
}
