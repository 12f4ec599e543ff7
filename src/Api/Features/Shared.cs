using IaasApi.Domain.Catalog;

namespace IaasApi.Api.Features;

/// <summary>The four resources as the API writes them (units in the names).</summary>
public sealed record ResourcesDto(int Vcpus, int MemoryMiB, int DiskGiB, int NetworkMbps)
{
    public static ResourcesDto From(Resources r) => new(r.Vcpus, r.MemoryMiB, r.DiskGiB, r.NetworkMbps);
}

/// <summary>A flavor's or image's placement requirements, as patched: absent lists and model keep their current value.</summary>
public static class Hints
{
    public static PlacementHints Merge(PlacementHints current, string? cpuModel, IReadOnlyList<string>? cpuFeatures,
                                       IReadOnlyList<string>? requiredTraits, IReadOnlyList<string>? forbiddenTraits) =>
        new(cpuModel is null ? current.CpuModel : cpuModel.Length == 0 ? null : cpuModel.Trim(),
            cpuFeatures is null ? current.CpuFeatures : PlacementHints.Normalise(cpuFeatures),
            requiredTraits is null ? current.RequiredTraits : PlacementHints.Normalise(requiredTraits),
            forbiddenTraits is null ? current.ForbiddenTraits : PlacementHints.Normalise(forbiddenTraits));
}

/// <summary>Rules shared by the validators (shape only: existence and state belong to handlers).</summary>
public static class Rules
{
    /// <summary>A label: letters, digits, '.', '_', '-'; starts and ends alphanumeric; at most 63 characters.</summary>
    public const string LabelPattern = "^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$";

    /// <summary>A DNS label in lowercase: host names become hostnames and agent queue names.</summary>
    public const string HostNamePattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";

    public static IRuleBuilderOptions<T, string?> ValidName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().MaximumLength(Limits.NameMaxLength)
            .Matches(LabelPattern).WithMessage("'{PropertyName}' must be 1-63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit.");

    public static IRuleBuilderOptions<T, string?> ValidOptionalName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.MaximumLength(Limits.NameMaxLength)
            .Matches(LabelPattern).WithMessage("'{PropertyName}' must be 1-63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit.");

    public static IRuleBuilderOptions<T, IReadOnlyList<string>?> ValidTags<T>(this IRuleBuilder<T, IReadOnlyList<string>?> rule) =>
        rule.Must(tags => tags is null || (tags.Count <= Limits.MaxTags
                                           && tags.All(t => !string.IsNullOrWhiteSpace(t) && t.Length <= Limits.TagMaxLength && !t.Any(char.IsControl))))
            .WithMessage($"'{{PropertyName}}' takes at most {Limits.MaxTags} non-empty entries of at most {Limits.TagMaxLength} characters.");

    /// <summary>Free text: no NUL or other control characters except tab and line breaks (PostgreSQL text cannot hold NUL).</summary>
    public static IRuleBuilderOptions<T, string?> PlainText<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(s => s is null || !s.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            .WithMessage("'{PropertyName}' must not contain control characters.");

    public static IRuleBuilderOptions<T, int?> Between<T>(this IRuleBuilder<T, int?> rule, int min, int max) =>
        rule.NotNull().InclusiveBetween(min, max);
}

/// <summary>Lookups and writes every resource feature shares.</summary>
public static class Store
{
    /// <summary>The entity, or a 404 problem naming the resource kind.</summary>
    public static async Task<T> GetAsync<T>(this IQueryable<T> set, Guid id, string resource, CancellationToken ct) where T : Entity =>
        await set.SingleOrDefaultAsync(e => e.Id == id, ct) ?? throw new NotFoundException(resource, id);

    /// <summary>Refuses a name already taken by another entity of the kind (the unique index is the backstop).</summary>
    public static async Task EnsureNameFreeAsync<T>(this IQueryable<T> set, System.Linq.Expressions.Expression<Func<T, bool>> sameName,
                                                    string resource, string name, Guid? except, CancellationToken ct) where T : Entity
    {
        if (await set.Where(sameName).AnyAsync(e => except == null || e.Id != except, ct))
            throw new ConflictException($"A {resource} named '{name}' already exists; {resource} names are unique.");
    }

    /// <summary>A PATCH's new name: refused (409) when another of the kind holds it; nothing when absent or unchanged.</summary>
    public static async Task RenameAsync<T>(this IQueryable<T> set, T entity, string? name, string resource, CancellationToken ct)
        where T : Entity, INamed
    {
        if (name is null || name == entity.Name) return;
        await set.EnsureNameFreeAsync(e => e.Name == name, resource, name, entity.Id, ct);
        entity.Rename(name);
    }

    /// <summary>The 200 of a single-resource GET: the entity as <paramref name="view"/> shows it (404 if absent), with its ETag.</summary>
    public static async Task<Ok<TResponse>> OkAsync<T, TResponse>(this IQueryable<T> set, Guid id, string resource, HttpContext http,
                                                                  Func<T, TResponse> view, CancellationToken ct) where T : Entity
    {
        var entity = await set.AsNoTracking().GetAsync(id, resource, ct);
        return Ok(http, entity.Version, view(entity));
    }

    /// <summary>
    /// PATCH with If-Match: the entity (404 if absent), its version checked (412), <paramref name="apply"/> (which may
    /// refuse with a problem), saved (409 on a concurrent write), then 200 with the new ETag.
    /// </summary>
    public static async Task<Ok<TResponse>> PatchAsync<T, TResponse>(IaasDbContext db, Guid id, string resource, HttpContext http,
                                                                    Func<T, Task> apply, Func<T, TResponse> view, CancellationToken ct)
        where T : Entity
    {
        var entity = await db.Set<T>().GetAsync(id, resource, ct);
        ETags.CheckIfMatch(http, entity.Version);
        await apply(entity);
        await db.SaveChangesAsync(ct);
        return Ok(http, entity.Version, view(entity));
    }

    /// <summary>DELETE with If-Match and an in-use check: a 409 naming what still uses it, never a cascade.</summary>
    public static async Task<NoContent> DeleteAsync<T>(IaasDbContext db, HttpContext http, Guid id, string resource, Func<Task<string?>> inUse,
                                                       CancellationToken ct) where T : Entity
    {
        var entity = await db.Set<T>().GetAsync(id, resource, ct);
        ETags.CheckIfMatch(http, entity.Version);
        if (await inUse() is { } reason)
            throw new ConflictException($"The {resource} is in use: {reason}. Remove those first.");
        db.Remove(entity);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>Stores a new entity and answers 201 with it at <paramref name="collection"/>/{id}.</summary>
    public static async Task<Created<TResponse>> AddAsync<T, TResponse>(IaasDbContext db, T entity, string collection, Func<T, TResponse> view,
                                                                       HttpContext http, CancellationToken ct) where T : Entity
    {
        db.Add(entity);
        await db.SaveChangesAsync(ct);
        return Created(http, $"{collection}/{entity.Id}", entity.Version, view(entity));
    }

    /// <summary>The 201 every create returns: Location, ETag and the resource.</summary>
    public static Created<TResponse> Created<TResponse>(HttpContext http, string location, long version, TResponse body)
    {
        ETags.Set(http, version);
        return TypedResults.Created(location, body);
    }

    /// <summary>The 200 of a single-resource GET or PATCH, with its ETag.</summary>
    public static Ok<TResponse> Ok<TResponse>(HttpContext http, long version, TResponse body)
    {
        ETags.Set(http, version);
        return TypedResults.Ok(body);
    }
}
