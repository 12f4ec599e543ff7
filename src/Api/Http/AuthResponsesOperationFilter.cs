using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IaasApi.Api.Http;

/// <summary>
/// Declares the answers authorization and the rate limiter add to a route, so the document lists every status code a
/// client can get: 401, 429 and 503 (the key is looked up in the database) on every authenticated route, 403 on
/// admin-only ones, and the bearer requirement itself.
/// </summary>
internal sealed class AuthResponsesOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAllowAnonymous>().Any() || !metadata.OfType<IAuthorizeData>().Any())
        {
            operation.Security = [];
            return;
        }
        operation.Responses ??= new OpenApiResponses();
        operation.Responses.TryAdd("401", Problem("A valid API key is required (missing, unknown or revoked)."));
        if (!metadata.OfType<DisableRateLimitingAttribute>().Any())
            operation.Responses.TryAdd("429", Problem("This API key has used its request budget (rate-limited); retry after Retry-After seconds."));
        operation.Responses.TryAdd("503", Problem("The database cannot be reached (unavailable); retry after Retry-After seconds."));
        if (metadata.OfType<IAuthorizeData>().Any(a => a.Policy == AuthorizationPolicies.Admin))
            operation.Responses.TryAdd("403", Problem("This route needs an admin key."));
    }

    private static OpenApiResponse Problem(string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, IOpenApiMediaType> { ["application/problem+json"] = new OpenApiMediaType() },
    };
}
