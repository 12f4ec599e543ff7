using IaasApi.Api.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IaasApi.Api.OpenApi;

/// <summary>
/// Every status a route can answer, each with its body, so a generated client can read all of them:
/// <list type="bullet">
/// <item>a status with two bodies (a create of one instance or of a batch) as <c>anyOf</c> the two: each answer matches
/// exactly one (their members are required and closed), and <c>anyOf</c> is what generators without a discriminator
/// can read (Kiota fills each alternative from the members it knows, where <c>oneOf</c> fills none);</item>
/// <item>what the pipeline adds around the handler: 400 (binding, validation, an unknown query parameter), 404 where
/// its path names a resource, 401/429/503 on authenticated routes (the key is looked up in the database), 403 on
/// admin-only ones, 409 on every write (a concurrent write changed the resource first; an Idempotency-Key in flight),
/// 422 on authenticated POSTs (an Idempotency-Key reused with another body), 413/415
/// where it takes a body, 500 everywhere;</item>
/// <item>every 4xx/5xx as <c>application/problem+json</c> with the one <see cref="ProblemSchema"/>.</item>
/// </list>
/// </summary>
internal sealed class ResponsesFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var description = context.ApiDescription;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        operation.Responses ??= new OpenApiResponses();
        var responses = operation.Responses;

        // The API explorer keeps one body per status; the route's own metadata lists them all.
        foreach (var same in metadata.OfType<IProducesResponseTypeMetadata>()
                                     .Where(r => r.Type is not null && r.Type != typeof(void) && r.StatusCode < 400)
                                     .GroupBy(r => r.StatusCode).Where(g => g.Select(r => r.Type).Distinct().Count() > 1))
        {
            var alternatives = same.Select(r => r.Type!).Distinct().Select(t => context.SchemaGenerator.GenerateSchema(t, context.SchemaRepository)).ToList();
            var code = same.Key.ToString(System.Globalization.CultureInfo.InvariantCulture);
            responses[code] = new OpenApiResponse
            {
                Description = responses.TryGetValue(code, out var existing) ? existing.Description : "Success",
                Content = new Dictionary<string, IOpenApiMediaType> { ["application/json"] = new OpenApiMediaType { Schema = new OpenApiSchema { AnyOf = alternatives } } },
            };
        }

        var hasBody = description.ParameterDescriptions.Any(p => p.Source == Microsoft.AspNetCore.Mvc.ModelBinding.BindingSource.Body);
        Add(responses, 400);   // every route: a query parameter it does not take is refused, naming the ones it does
        if (description.RelativePath?.Contains('{') == true) Add(responses, 404);
        if (hasBody)
        {
            Add(responses, 413);
            Add(responses, 415);
        }
        if (!TakesAKey(metadata)) operation.Security = [];
        else
        {
            Add(responses, 401);
            if (!HttpMethods.IsGet(description.HttpMethod ?? "")) Add(responses, 409);   // a concurrent write won; an Idempotency-Key in flight
            if (HttpMethods.IsPost(description.HttpMethod ?? "")) Add(responses, 422);   // idempotency-key-reused
            if (!metadata.OfType<DisableRateLimitingAttribute>().Any()) Add(responses, 429);
            Add(responses, 503);
            if (metadata.OfType<IAuthorizeData>().Any(a => a.Policy == AuthorizationPolicies.Admin)) Add(responses, 403);
        }
        Add(responses, 500);

        foreach (var (code, response) in responses.Where(r => int.TryParse(r.Key, out var c) && c >= 400).ToList())
        {
            var status = int.Parse(code, System.Globalization.CultureInfo.InvariantCulture);
            responses[code] = new OpenApiResponse
            {
                Description = IsDefaultText(response.Description, status) ? Describe(status) : response.Description,
                Headers = response.Headers,
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    [ProblemSchema.MediaType] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ProblemSchema.Id, context.Document) },
                },
            };
        }
    }

    /// <summary>Whether the route asks for an API key (authorization required, not allowed anonymously).</summary>
    internal static bool TakesAKey(IList<object> metadata) =>
        !metadata.OfType<IAllowAnonymous>().Any() && metadata.OfType<IAuthorizeData>().Any();

    private static void Add(OpenApiResponses responses, int status) =>
        responses.TryAdd(status.ToString(System.Globalization.CultureInfo.InvariantCulture), new OpenApiResponse { Description = Describe(status) });

    /// <summary>The framework's reason phrase ("Not Found") says less than our words for the status.</summary>
    private static bool IsDefaultText(string? text, int status) =>
        string.IsNullOrEmpty(text) || text == Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    private static string Describe(int status) => status switch
    {
        400 => "The request is invalid (problem `validation`; `errors` names each field, or the query parameter the route does not take).",
        401 => "A valid API key is required (missing, unknown or revoked).",
        403 => "This route needs an admin key.",
        404 => "No such resource is visible to this key (problem `not-found`).",
        409 => "The request conflicts with the resource's current state (a concurrent write changed it first; or a request with this Idempotency-Key is still running).",
        412 => "If-Match does not name the resource's current version (problem `precondition-failed`); read it again.",
        413 => "The request body is larger than 1 MiB.",
        415 => "The body must be JSON (application/json).",
        422 => "The request is well-formed but cannot be carried out (or this Idempotency-Key was used with another body).",
        429 => "This API key has used its request budget (rate-limited); retry after Retry-After seconds.",
        500 => "An internal error; the problem's traceId identifies it in the logs.",
        503 => "The control plane cannot reach its database (unavailable); retry after Retry-After seconds.",
        _ => Problems.ForStatus(status).Title,
    };
}
