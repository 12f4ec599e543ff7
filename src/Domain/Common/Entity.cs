namespace IaasApi.Domain.Common;

/// <summary>
/// What every stored resource has: a time-ordered id (UUID v7, also the list order), creation and update times,
/// and a version that changes on every update (the concurrency token the ETag is derived from).
/// The persistence layer increments <see cref="Version"/> and sets <see cref="UpdatedAt"/> on save.
/// </summary>
public abstract class Entity : IHasId
{
    /// <summary>For materialisation by the persistence layer.</summary>
    protected Entity() { }

    protected Entity(DateTimeOffset now)
    {
        Id = Ids.New();
        CreatedAt = now;
        UpdatedAt = now;
    }

    public Guid Id { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public long Version { get; private set; } = 1;
}
