namespace IaasApi.Api.Features.Health;

public sealed record HealthResponse(
    string Status,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? Database = null);

public static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok"))).WithTags("Health").WithName("Healthz").AllowAnonymous().DisableRateLimiting();
        app.MapGet("/readyz", Ready).WithTags("Health").WithName("Readyz").AllowAnonymous().DisableRateLimiting().ProducesProblem(503);
    }

    /// <summary>Ready = the database answers and every migration is applied.</summary>
    private static async Task<Results<Ok<HealthResponse>, ProblemHttpResult>> Ready(IaasDbContext db, HttpContext http, CancellationToken ct)
    {
        string? reason;
        try
        {
            if (!await db.Database.CanConnectAsync(ct)) reason = "The database is not reachable.";
            else
            {
                var pending = (await db.Database.GetPendingMigrationsAsync(ct)).Count();
                reason = pending > 0 ? $"{pending} database migration(s) are not applied yet (run the migrate verb)." : null;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            reason = "The database is not reachable.";
        }
        if (reason is null) return TypedResults.Ok(new HealthResponse("ready", db.IsSqlite ? "sqlite" : "postgresql"));
        http.Response.Headers.RetryAfter = "5";
        return Problems.Result(503, HttpProblemTypes.Unavailable, "Not ready.", reason);
    }
}
