using IaasApi.Domain.Common;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace IaasApi.Infrastructure.Persistence;

/// <summary>Stores an enum as its API word (<c>"best-effort"</c>).</summary>
public sealed class EnumWordConverter<T>() : ValueConverter<T, string>(v => EnumWords.ToWord(v), s => EnumWords.Parse<T>(s))
    where T : struct, Enum;

/// <summary>SQLite: a UTC instant as ticks (an INTEGER that orders and compares correctly).</summary>
public sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    v => v.UtcTicks,
    t => new DateTimeOffset(t, TimeSpan.Zero));
