using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>
/// Every answer the API tests receive, checked against the OpenAPI document the API serves: the status must be one the
/// operation (method + path template) declares, and a JSON body must match the schema declared for that status and
/// media type. A mismatch fails the test that made the request, naming the operation, the status and what differs.
/// Requests to paths or methods the document does not list (a deliberate 405, the dashboard, /hangfire) are not
/// checked; <see cref="Counts"/> says how many answers were checked and how many were not.
/// </summary>
public sealed class ContractCheck(OpenApiContract contract) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        await contract.CheckAsync(request, response, cancellationToken);
        return response;
    }
}

public sealed class ContractViolationException(string message) : Exception(message);

/// <summary>The served document, compiled once: path templates, and a JSON Schema per declared response body.</summary>
public sealed partial class OpenApiContract
{
    private const string DefsUri = "https://contract.iaasapi.test/openapi";
    private static int _checked;
    private static int _unchecked;

    private readonly List<(Regex Pattern, int Literals, string Template, JsonObject Operations)> _paths = [];
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new();
    private readonly BuildOptions _build = new() { SchemaRegistry = new SchemaRegistry() };
    private int _next;

    public OpenApiContract(string documentJson)
    {
        var document = JsonNode.Parse(documentJson)!.AsObject();
        Rewrite(document);
        var defs = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = DefsUri,
            ["$defs"] = document["components"]?["schemas"]?.DeepClone() ?? new JsonObject(),
        };
        JsonSchema.FromText(defs.ToJsonString(), _build, new Uri(DefsUri));
        foreach (var (template, operations) in document["paths"]!.AsObject())
        {
            var segments = template.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var pattern = "^/" + string.Join('/', segments.Select(s => s.StartsWith('{') ? "[^/]+" : Regex.Escape(s))) + "/?$";
            _paths.Add((new Regex(pattern, RegexOptions.CultureInvariant), segments.Count(s => !s.StartsWith('{')), template, operations!.AsObject()));
        }
        _paths.Sort((a, b) => b.Literals.CompareTo(a.Literals));
    }

    /// <summary>Answers checked against the document, and answers to paths or methods it does not list (all contracts in the run).</summary>
    public static (int Checked, int Unchecked) Counts => (_checked, _unchecked);

    public async Task CheckAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken ct)
    {
        var path = request.RequestUri!.IsAbsoluteUri ? request.RequestUri.AbsolutePath : request.RequestUri.OriginalString.Split('?')[0];
        var method = request.Method.Method.ToLowerInvariant();
        var match = _paths.FirstOrDefault(p => p.Pattern.IsMatch(path));
        if (match.Operations is null || match.Operations[method] is not JsonObject operation)
        {
            Interlocked.Increment(ref _unchecked);
            return;
        }
        Interlocked.Increment(ref _checked);
        var where = $"{method.ToUpperInvariant()} {match.Template} → {(int)response.StatusCode}";
        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation["responses"]?[status] is not JsonObject declared && operation["responses"]?["default"] is not JsonObject declaredDefault)
            throw new ContractViolationException($"{where}: the document does not declare this status for the operation.");
        declared = operation["responses"]?[status] as JsonObject ?? operation["responses"]!["default"]!.AsObject();

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType == "text/event-stream") return;   // a stream: its events are not one JSON body
        await response.Content.LoadIntoBufferAsync(ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        var content = declared["content"] as JsonObject;
        if (body.Length == 0)
        {
            if (content is { Count: > 0 } && response.StatusCode != HttpStatusCode.NotModified)
                throw new ContractViolationException($"{where}: the body is empty; the document declares {string.Join(", ", content.Select(c => c.Key))}.");
            return;
        }
        if (content is null || mediaType is null || content[mediaType] is not JsonObject media)
            throw new ContractViolationException($"{where}: a {mediaType ?? "untyped"} body the document does not declare ({string.Join(", ", content?.Select(c => c.Key) ?? [])}).");
        if (media["schema"] is not JsonNode schema || !mediaType.EndsWith("json", StringComparison.Ordinal)) return;

        var key = $"{method} {match.Template} {status} {mediaType}";
        var compiled = _schemas.GetOrAdd(key, _ => JsonSchema.FromText(schema.ToJsonString(), _build,
            new Uri($"{DefsUri}/response/{Interlocked.Increment(ref _next)}")));
        using var json = JsonDocument.Parse(body);
        var result = compiled.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return;
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value} ({d.EvaluationPath})")).Take(8);
        throw new ContractViolationException($"{where}: the body does not match its schema:\n  {string.Join("\n  ", errors)}\nBody: {Shorten(body)}");
    }

    private static string Shorten(string body) => body.Length <= 2000 ? body : body[..2000] + "…";

    /// <summary>References into components/schemas point at the compiled definitions instead.</summary>
    private static void Rewrite(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o.ToList())
                {
                    if (name == "$ref" && value?.GetValue<string>() is { } reference && reference.StartsWith("#/components/schemas/", StringComparison.Ordinal))
                        o["$ref"] = DefsUri + "#/$defs/" + reference["#/components/schemas/".Length..];
                    else Rewrite(value);
                }
                break;
            case JsonArray a:
                foreach (var item in a) Rewrite(item);
                break;
        }
    }
}
