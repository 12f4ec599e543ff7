using IaasApi.Domain.Common;

namespace IaasApi.Domain.Reservations;

public enum ReservationStatus { Scheduled, Active, Ended, Cancelled }

/// <summary>What happens to the reservation's instances when it ends (after the grace period).</summary>
public enum OnEndAction { Delete, Stop, SnapshotThenDelete }

/// <summary>
/// An advance reservation (a lease): capacity for <see cref="Count"/> instances of a flavor in a zone, guaranteed over
/// [<see cref="Start"/>, <see cref="End"/>). The guarantee is a set of host-bound slots booked on the hosts' timelines.
/// </summary>
public sealed class Reservation : Entity
{
    public const int MaxCount = 1000;
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(366);

    private Reservation() { Name = ""; }

    public Reservation(Guid tenantId, string name, Guid flavorId, Resources resources, int count, Guid zoneId, Guid slaPlanId,
                       DateTimeOffset start, DateTimeOffset end, OnEndAction onEnd, bool autoStart, int graceSeconds, DateTimeOffset now)
        : base(now)
    {
        (start, end) = (WholeSeconds(start), WholeSeconds(end));
        if (end <= start) throw new FieldValidationException("end", "'end' must be after 'start'.");
        TenantId = tenantId;
        Name = name;
        FlavorId = flavorId;
        Resources = resources;
        Count = count;
        ZoneId = zoneId;
        SlaPlanId = slaPlanId;
        Start = start;
        End = end;
        OnEnd = onEnd;
        AutoStart = autoStart;
        GraceSeconds = graceSeconds;
        Status = ReservationStatus.Scheduled;
        UnitsFree = count;
    }

    public Guid TenantId { get; private set; }
    public string Name { get; private set; }
    public Guid? FlavorId { get; private set; }
    /// <summary>One slot's resources (the flavor's, copied): what each of the <see cref="Count"/> slots holds.</summary>
    public Resources Resources { get; private set; }
    public int Count { get; private set; }
    /// <summary>Slots no instance has taken yet; the reservation holds the tenant's quota for them.</summary>
    public int UnitsFree { get; private set; }
    public Guid? ZoneId { get; private set; }
    public Guid? SlaPlanId { get; private set; }
    public DateTimeOffset Start { get; private set; }
    public DateTimeOffset End { get; private set; }
    public OnEndAction OnEnd { get; private set; }
    public bool AutoStart { get; private set; }
    /// <summary>Seconds after <see cref="End"/> before the on-end action runs and the capacity returns.</summary>
    public int GraceSeconds { get; private set; }
    public ReservationStatus Status { get; private set; }
    /// <summary>When preemptible borrowers of this reservation's hosts were given notice (the lead time before start).</summary>
    public DateTimeOffset? NoticeGivenAt { get; private set; }
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>When the capacity actually returns: the end plus the grace period.</summary>
    public DateTimeOffset ReleaseAt => End + TimeSpan.FromSeconds(GraceSeconds);

    public bool IsLive => Status is ReservationStatus.Scheduled or ReservationStatus.Active;

    public void Reschedule(DateTimeOffset? start, DateTimeOffset? end, DateTimeOffset now)
    {
        if (!IsLive) throw new InvalidStateException($"Reservation '{Name}' is {EnumWords.ToWord(Status)}; it can no longer change.");
        var newStart = start is { } s ? WholeSeconds(s) : Start;
        var newEnd = end is { } e ? WholeSeconds(e) : End;
        if (start is not null && Status == ReservationStatus.Active && newStart != Start)
            throw new InvalidStateException("The reservation has started; only its end can change.");
        if (newEnd <= newStart) throw new FieldValidationException("end", "'end' must be after 'start'.");
        if (newEnd <= now) throw new FieldValidationException("end", "'end' must be in the future.");
        Start = newStart;
        End = newEnd;
    }

    /// <summary>Windows are whole seconds (rounded down), the same in every database and every response.</summary>
    public static DateTimeOffset WholeSeconds(DateTimeOffset t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, t.Offset);

    public void GiveNotice(DateTimeOffset now) => NoticeGivenAt ??= now;

    public void Activate(DateTimeOffset now)
    {
        if (Status != ReservationStatus.Scheduled) return;
        Status = ReservationStatus.Active;
        StartedAt = now;
    }

    /// <summary>
    /// Ends (at its end, <paramref name="cancel"/> false) or cancels it; returns how many unused units it held quota
    /// for, which the caller returns to the tenant.
    /// </summary>
    public int Close(bool cancel, DateTimeOffset now)
    {
        if (!IsLive) throw new InvalidStateException($"Reservation '{Name}' is {EnumWords.ToWord(Status)}.");
        Status = cancel ? ReservationStatus.Cancelled : ReservationStatus.Ended;
        EndedAt = now;
        var unused = UnitsFree;
        UnitsFree = 0;
        return unused;
    }
}

/// <summary>One guaranteed instance-sized piece of a reservation, on one host; bound to an instance once one runs in it.</summary>
public sealed class ReservationSlot
{
    private ReservationSlot() { }

    public ReservationSlot(Guid reservationId, Guid hostId, Resources resources, DateTimeOffset start, DateTimeOffset end)
    {
        Id = Ids.New();
        ReservationId = reservationId;
        HostId = hostId;
        Resources = resources;
        Start = start;
        End = end;
    }

    public Guid Id { get; private set; }
    public Guid ReservationId { get; private set; }
    public Guid HostId { get; private set; }
    public Resources Resources { get; private set; }
    /// <summary>The slot's window on the host's timeline: the reservation's [start, end + grace).</summary>
    public DateTimeOffset Start { get; private set; }
    public DateTimeOffset End { get; private set; }
    public Guid? InstanceId { get; private set; }

    public Interval Interval => new(Start, End, Resources);

    public void Bind(Guid instanceId) => InstanceId = instanceId;

    public void Unbind() => InstanceId = null;

    public void Move(DateTimeOffset start, DateTimeOffset end)
    {
        Start = start;
        End = end;
    }
}
