using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing.Patterns;

namespace IaasApi.Api.Http;

/// <summary>
/// <c>POST /v1/{collection}/{id}/actions/{action}</c> that no route serves: a 404 naming the actions the collection has
/// (those the caller may call), read from the route table itself, so an action is listed the moment it is mapped.
/// </summary>
public static partial class UnknownActions
{
    public static void MapUnknownActions(this RouteGroupBuilder v1) =>
        v1.MapPost("/{collection}/{id:guid}/actions/{action}", Handle)
          .WithOrder(1)                 // after every real route: it answers only what none of them matches
          .ExcludeFromDescription();

    private static ProblemHttpResult Handle(string collection, string action, Caller caller, [FromServices] EndpointDataSource routes)
    {
        var endpoints = routes.Endpoints.OfType<RouteEndpoint>().ToList();
        if (!endpoints.Any(e => e.RoutePattern.PathSegments is [{ } v1, { } first, ..] && Literal(v1) == "v1"
                                && string.Equals(Literal(first), collection, StringComparison.OrdinalIgnoreCase)))
            return TypedResults.Problem(Problems.Create(404, HttpProblemTypes.NotFound, "The resource was not found."));

        var actions = endpoints.Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Contains(HttpMethods.Post) == true
                                           && (caller.IsAdmin || !AdminOnly(e)))
            .SelectMany(e => ActionsIn(e.RoutePattern, collection)).Distinct(StringComparer.Ordinal).ToList();
        var problem = Problems.Create(404, HttpProblemTypes.NotFound, "The action was not found.", actions.Count > 0
            ? $"'{Truncate(action)}' is not an action on {collection}; the actions are: {string.Join(", ", actions)}."
            : $"'{Truncate(action)}' is not an action on {collection}; {collection} take no actions.");
        problem.Extensions["actions"] = actions;
        return TypedResults.Problem(problem);
    }

    /// <summary>The action names of a route <c>/v1/{collection}/{id}/actions/{x}</c>: a literal, or a <c>regex(^(a|b)$)</c> choice.</summary>
    private static IEnumerable<string> ActionsIn(RoutePattern pattern, string collection)
    {
        if (pattern.PathSegments is not [{ } v1, { } first, _, { } actions, { } last] || Literal(v1) != "v1" || Literal(actions) != "actions"
            || !string.Equals(Literal(first), collection, StringComparison.OrdinalIgnoreCase)) return [];
        if (Literal(last) is { } name) return [name];
        return last.Parts is [RoutePatternParameterPart parameter]
            ? parameter.ParameterPolicies.Select(p => Choice().Match(p.Content ?? "")).Where(m => m.Success)
                .SelectMany(m => m.Groups["words"].Value.Split('|'))
            : [];
    }

    private static string? Literal(RoutePatternPathSegment segment) => segment.Parts is [RoutePatternLiteralPart literal] ? literal.Content : null;

    private static bool AdminOnly(Endpoint e) => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == AuthorizationPolicies.Admin);

    private static string Truncate(string s) => s.Length > 64 ? s[..64] + "…" : s;

    [GeneratedRegex(@"^regex\(\^\((?<words>[a-z0-9|-]+)\)\$\)$")]
    private static partial Regex Choice();
}
