using IaasApi.Api.Http;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IaasApi.Api.OpenApi;

/// <summary>
/// The headers of API.md's protocol, where they apply: <c>Idempotency-Key</c> on authenticated POSTs (and
/// <c>Idempotent-Replayed</c> on their answers), <c>If-Match</c> where a write checks the version (PATCH, DELETE,
/// actions), <c>ETag</c> on a resource's 200/201, <c>Location</c> on 201/202, <c>Retry-After</c> on 429/503.
/// </summary>
internal sealed class HeadersFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var method = context.ApiDescription.HttpMethod ?? "";
        var path = context.ApiDescription.RelativePath ?? "";
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        var authenticated = ResponsesFilter.TakesAKey(metadata);
        var isPost = HttpMethods.IsPost(method);
        var checksVersion = HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method) || (isPost && path.Contains("/actions/"));

        operation.Parameters ??= [];
        if (isPost && authenticated)
            operation.Parameters.Add(Header(IdempotencyMiddleware.Header,
                "Makes the POST safe to retry: a repeat with the same key and body within 24 hours gets the first answer back " +
                "(with Idempotent-Replayed: true) instead of doing the work again.", new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = Limits.ShortTextMaxLength }));
        if (checksVersion)
            operation.Parameters.Add(Header("If-Match", "The ETag last read: the write is refused (412) if the resource changed since.",
                new OpenApiSchema { Type = JsonSchemaType.String }));

        foreach (var (code, response) in operation.Responses ?? [])
        {
            if (response is not OpenApiResponse r) continue;
            var headers = r.Headers ??= new Dictionary<string, IOpenApiHeader>();
            switch (code)
            {
                case "200" when HttpMethods.IsGet(method) && path.EndsWith('}') || HttpMethods.IsPatch(method):
                case "201":
                    headers.TryAdd("ETag", Response("The resource's version, for If-Match."));
                    break;
                case "429" or "503":
                    headers.TryAdd("Retry-After", Response("Seconds to wait before retrying.", JsonSchemaType.Integer));
                    break;
            }
            if (code is "201" or "202") headers.TryAdd("Location", Response("Where the resource (or the operation doing the work) is read."));
            if (isPost && authenticated && code.StartsWith('2')) headers.TryAdd("Idempotent-Replayed", Response("`true` when this is a stored answer replayed for a repeated Idempotency-Key."));
            if (headers.Count == 0) r.Headers = null;
        }
    }

    private static OpenApiParameter Header(string name, string description, OpenApiSchema schema) =>
        new() { Name = name, In = ParameterLocation.Header, Required = false, Description = description, Schema = schema };

    private static OpenApiHeader Response(string description, JsonSchemaType type = JsonSchemaType.String) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = type } };
}
