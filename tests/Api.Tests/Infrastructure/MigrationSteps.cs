using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>Starting a migration and following it to its end, the way the migration tests all do.</summary>
public static class MigrationSteps
{
    private static readonly string[] Ended = ["completed", "failed", "cancelled"];

    /// <summary>POST .../actions/migrate as an admin; the 202's migration.</summary>
    public static async Task<JsonObject> MigrateOkAsync(this ApiFactory api, Guid instanceId, object? body = null) =>
        await (await api.Admin().PostAsJsonAsync($"/v1/instances/{instanceId}/actions/migrate", body ?? new { })).ExpectAsync(HttpStatusCode.Accepted);

    /// <summary>
    /// Advances the test clock by <paramref name="step"/> (the fake's simulated time) until the migration reaches one of
    /// <paramref name="statuses"/> (default: any end), within 20 s of wall time.
    /// </summary>
    public static async Task<JsonObject> SettleMigrationAsync(this ApiFactory api, Guid migrationId, TimeSpan step, params string[] statuses)
    {
        var wanted = statuses.Length > 0 ? statuses : Ended;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var m = await api.Admin().GetJson($"/v1/migrations/{migrationId}");
            if (wanted.Contains(m.Str("status"))) return m;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Migration still {m.Str("status")} at {m["stage"]}: {m.ToJsonString()}");
            api.Clock.Advance(step);
            await Task.Delay(20);
        }
    }

    /// <summary>Polls the migration (20 s of wall time, the clock untouched) until <paramref name="done"/> says so.</summary>
    public static async Task<JsonObject> WaitForMigrationAsync(this ApiFactory api, Guid migrationId, Func<JsonObject, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var m = await api.Admin().GetJson($"/v1/migrations/{migrationId}");
            if (done(m)) return m;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Migration never {what}: {m.ToJsonString()}");
            await Task.Delay(20);
        }
    }

    /// <summary>The job persists the pre-copy stage before it calls the driver: waits for the fake driver's side too.</summary>
    public static async Task WaitForFakeDriverAsync(this ApiFactory api, Guid vm)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (api.Fake.MigrationOf(vm) is null)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The driver never started the migration.");
            await Task.Delay(10);
        }
    }
}
