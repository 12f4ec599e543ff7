using Microsoft.OpenApi;

namespace IaasApi.Api.OpenApi;

/// <summary>
/// The one error body (RFC 9457 problem+json) every 4xx and 5xx answer carries: a stable <c>type</c> URI whose last
/// segment is the slug API.md lists, the title and status, a detail, the request's <c>traceId</c>, per-field
/// <c>errors</c> on a validation failure, and the members particular problems add (<c>eliminations</c> on
/// no-valid-host, ...).
/// </summary>
internal static class ProblemSchema
{
    public const string Id = "Problem";
    public const string MediaType = "application/problem+json";

    public static OpenApiSchema Create() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 9457 problem. `type` is https://iaasapi.dev/problems/<slug> with a slug from API.md.",
        Required = new HashSet<string> { "type", "title", "status" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri" },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "400", Maximum = "599" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's trace id (quote it when reporting a fault)." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "On a validation problem: the messages for each field, keyed by its JSON path.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
        AdditionalPropertiesAllowed = true,
    };
}
