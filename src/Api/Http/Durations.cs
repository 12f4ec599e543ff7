using System.Globalization;
using System.Xml;

namespace IaasApi.Api.Http;

/// <summary>
/// A duration a query takes: ISO 8601 (<c>PT10M</c>, <c>P1D</c>, <c>PT1H30M</c>) — what generated clients and
/// Terraform-style tools send — or the short forms <c>900</c> (seconds), <c>15m</c>, <c>1h</c>, <c>1d</c>.
/// </summary>
public static class Durations
{
    public static TimeSpan? Parse(string? value, string field, TimeSpan min, TimeSpan max)
    {
        if (string.IsNullOrEmpty(value)) return null;
        TimeSpan? parsed = value[0] is 'P' or 'p' ? Iso(value) : Short(value);
        if (parsed is not { } duration)
            throw new FieldValidationException(field, $"'{field}' must be an ISO 8601 duration (PT10M, P1D), a number of seconds, or like 15m, 1h, 1d.");
        if (duration < min || duration > max)
            throw new FieldValidationException(field, $"'{field}' must be between {Words(min)} and {Words(max)}.");
        return duration;
    }

    private static TimeSpan? Iso(string value)
    {
        try
        {
            return XmlConvert.ToTimeSpan(value.ToUpperInvariant());
        }
        catch (FormatException) { return null; }
        catch (OverflowException) { return null; }
    }

    private static TimeSpan? Short(string value)
    {
        var unit = value[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => 0 };
        var digits = unit == 0 ? value : value[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 10L * 366 * 86400
            ? TimeSpan.FromSeconds(n * Math.Max(1, unit)) : null;
    }

    private static string Words(TimeSpan t) => t.TotalDays >= 1 && t.TotalDays % 1 == 0 ? $"{t.TotalDays:0} days" : $"{t.TotalSeconds:0} s";
}
