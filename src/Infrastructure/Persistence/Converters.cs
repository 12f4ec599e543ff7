using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace IaasApi.Infrastructure.Persistence;

/// <summary>Stores an enum as its API word (<c>"best-effort"</c>).</summary>
public sealed class EnumWordConverter<T>() : ValueConverter<T, string>(v => EnumWords.ToWord(v), s => EnumWords.Parse<T>(s))
    where T : struct, Enum;

/// <summary>SQLite: a UTC instant as ticks (an INTEGER that orders and compares correctly).</summary>
public sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    v => v.UtcTicks,
    t => new DateTimeOffset(t, TimeSpan.Zero));

/// <summary>A small list of records stored as one JSON text column (a migration's stages and rounds): read and written whole.</summary>
public sealed class JsonListConverter<T>() : ValueConverter<List<T>, string>(
    v => JsonSerializer.Serialize(v, JsonOptions),
    s => JsonSerializer.Deserialize<List<T>>(s, JsonOptions) ?? new List<T>())
{
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}

/// <summary>Change detection for <see cref="JsonListConverter{T}"/> lists: element by element (the elements are records).</summary>
public sealed class JsonListComparer<T>() : ValueComparer<List<T>>(
    (a, b) => a == null ? b == null : b != null && a.SequenceEqual(b),
    v => v.Aggregate(0, (h, x) => HashCode.Combine(h, x)),
    v => v.ToList());
