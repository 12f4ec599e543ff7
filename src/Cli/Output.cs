using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Kiota.Abstractions.Serialization;

namespace IaasApi.Cli;

public enum OutputFormat { Table, Json }

/// <summary>What a command prints: a model as JSON (what the API answered, as the client read it) or as a table.</summary>
public sealed class Output(TextWriter stdout, OutputFormat format)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public TextWriter Writer => stdout;

    public OutputFormat Format => format;

    public static async Task<JsonNode?> ToJsonAsync(IParsable? model) =>
        model is null ? null : JsonNode.Parse(await KiotaJsonSerializer.SerializeAsStringAsync(model, false));

    /// <summary>One resource: JSON, or a two-column table of its members.</summary>
    public async Task ItemAsync(IParsable? model) => await ItemAsync(await ToJsonAsync(model));

    public async Task ItemAsync(JsonNode? json)
    {
        if (format == OutputFormat.Json || json is not JsonObject o)
        {
            await stdout.WriteLineAsync(json?.ToJsonString(Indented) ?? "null");
            return;
        }
        var width = o.Select(p => p.Key.Length).DefaultIfEmpty(0).Max();
        foreach (var (key, value) in o) await stdout.WriteLineAsync($"{key.PadRight(width)}  {Cell(value, 200)}");
    }

    /// <summary>Rows: JSON (an array), or a table of the given columns.</summary>
    public async Task RowsAsync(IReadOnlyList<JsonObject> rows, IReadOnlyList<string> columns)
    {
        if (format == OutputFormat.Json)
        {
            await stdout.WriteLineAsync(new JsonArray(rows.Select(r => (JsonNode)r.DeepClone()).ToArray()).ToJsonString(Indented));
            return;
        }
        var cells = rows.Select(r => columns.Select(c => Cell(r[c], 40)).ToArray()).ToList();
        // Columns are headed by their JSON names: what -o json prints and --filter takes.
        var widths = columns.Select((c, i) => Math.Max(c.Length, cells.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        await stdout.WriteLineAsync(string.Join("  ", columns.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        foreach (var row in cells) await stdout.WriteLineAsync(string.Join("  ", row.Select((v, i) => v.PadRight(widths[i]))).TrimEnd());
    }

    private static string Cell(JsonNode? value, int max)
    {
        var text = value switch
        {
            null => "-",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => value.ToJsonString(),
        };
        return text.Length <= max ? text : text[..(max - 1)] + "…";
    }
}
