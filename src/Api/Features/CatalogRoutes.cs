namespace IaasApi.Api.Features;

/// <summary>The handlers of a resource every caller reads and an admin manages.</summary>
public sealed record CatalogHandlers(Delegate List, Delegate Get, Delegate Create, Delegate Update, Delegate Delete);

public static class CatalogRoutes
{
    /// <summary>
    /// Its five routes, alike for every such resource: <c>GET /</c> and <c>GET /{id}</c> for every caller; <c>POST /</c>,
    /// <c>PATCH /{id}</c> and <c>DELETE /{id}</c> for admins (validated, If-Match honoured) — named <c>List{plural}</c>,
    /// <c>Get{one}</c>, <c>Create{one}</c>, <c>Update{one}</c>, <c>Delete{one}</c>, with the problems each may answer
    /// (a create also <paramref name="createProblems"/>, a patch also <paramref name="updateProblems"/>).
    /// </summary>
    public static void MapCatalog<TCreate, TUpdate>(this RouteGroupBuilder v1, string path, string tag, string one, string plural,
                                                    CatalogHandlers handlers, int[]? createProblems = null, int[]? updateProblems = null)
        where TCreate : class where TUpdate : class
    {
        var group = v1.MapGroup(path).WithTags(tag);
        group.MapGet("/", handlers.List).WithName($"List{plural}");
        group.MapGet("/{id:guid}", handlers.Get).WithName($"Get{one}").ProducesProblem(404);
        var admin = group.MapGroup("").RequireAuthorization(AuthorizationPolicies.Admin);
        Problems(admin.MapPost("/", handlers.Create).Validate<TCreate>().WithName($"Create{one}"), [.. createProblems ?? [], 409]);
        Problems(admin.MapPatch("/{id:guid}", handlers.Update).Validate<TUpdate>().WithName($"Update{one}"), [404, .. updateProblems ?? [], 412]);
        Problems(admin.MapDelete("/{id:guid}", handlers.Delete).WithName($"Delete{one}"), [404, 409, 412]);
    }

    private static void Problems(RouteHandlerBuilder route, int[] statuses)
    {
        foreach (var status in statuses) route.ProducesProblem(status);
    }
}
