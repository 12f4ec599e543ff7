using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace IaasApi.Api.Http;

/// <summary>
/// JSON in one spelling, so that two bodies that mean the same are the same bytes: object members sorted by name
/// (ordinal, at every depth; repeated names keep their order), no insignificant whitespace, strings escaped one way,
/// numbers in their shortest exact decimal form (<c>1.50</c> = <c>1.5</c>, <c>1e1</c> = <c>10</c>).
/// </summary>
public static class CanonicalJson
{
    /// <summary>The canonical form of <paramref name="json"/>, or null if it is not JSON.</summary>
    public static byte[]? TryCanonicalize(byte[] json)
    {
        if (json.Length == 0) return null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var buffer = new ArrayBufferWriter<byte>(json.Length);
            using (var writer = new Utf8JsonWriter(buffer)) Write(writer, document.RootElement);
            return buffer.WrittenSpan.ToArray();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;   // not JSON (or a string no UTF-8 can hold): the bytes as they are
        }
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var member in element.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(member.Name);
                    Write(writer, member.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) Write(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(element.GetString());
                break;
            case JsonValueKind.Number:
                writer.WriteRawValue(Number(element), skipInputValidation: true);
                break;
            default:
                element.WriteTo(writer);   // true, false, null
                break;
        }
    }

    private static string Number(JsonElement number)
    {
        if (!number.TryGetDecimal(out var value)) return number.GetRawText();   // beyond decimal's range: as written
        var text = value.ToString(CultureInfo.InvariantCulture);
        if (text.Contains('.')) text = text.TrimEnd('0').TrimEnd('.');
        return text is "-0" ? "0" : text;
    }
}
