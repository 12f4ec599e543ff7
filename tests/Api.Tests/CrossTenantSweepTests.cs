using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Domain.Catalog;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Api.Tests;

/// <summary>
/// Every route of the OpenAPI document, called (1) with a second tenant's key on the first tenant's resources — 404,
/// or 403 on admin-only routes, and nothing of the first tenant's in any answer — and (2) with a tenant key on every
/// admin-only route — 403. A route the document gains that this sweep cannot classify and fill fails it. The per-route
/// table goes to the test output and to artifacts/cross-tenant-sweep.md (docs/reliability.md).
/// </summary>
public sealed class CrossTenantSweepTests(ApiFactory api)
{
    private enum Access
    {
        /// <summary>No key needed (health).</summary>
        Anonymous,
        /// <summary>The catalog and the caller's own collections: 200 (400 for a missing required filter), nothing of another tenant's.</summary>
        Read,
        /// <summary>Names the first tenant's resource (path or body): 404, never 403, nothing else of it.</summary>
        Foreign,
        /// <summary>Admin keys only: 403 for every tenant key.</summary>
        Admin,
    }

    /// <summary>Every route, classified. Keep in step with the OpenAPI document: the sweep fails on a route missing here.</summary>
    private static readonly Dictionary<string, Access> Routes = new()
    {
        ["GET /healthz"] = Access.Anonymous, ["GET /readyz"] = Access.Anonymous,

        ["GET /v1/regions"] = Access.Read, ["GET /v1/regions/{id}"] = Access.Read, ["GET /v1/zones"] = Access.Read,
        ["GET /v1/zones/{id}"] = Access.Read, ["GET /v1/flavors"] = Access.Read, ["GET /v1/flavors/{id}"] = Access.Read,
        ["GET /v1/sla-plans"] = Access.Read, ["GET /v1/sla-plans/{id}"] = Access.Read, ["GET /v1/images"] = Access.Read,
        ["GET /v1/me"] = Access.Read, ["GET /v1/instances"] = Access.Read, ["GET /v1/operations"] = Access.Read,
        ["GET /v1/overview"] = Access.Read, ["GET /v1/queue"] = Access.Read, ["GET /v1/capacity"] = Access.Read,
        ["GET /v1/reservations"] = Access.Read, ["GET /v1/server-groups"] = Access.Read, ["GET /v1/snapshots"] = Access.Read,

        ["GET /v1/images/{id}"] = Access.Foreign,
        ["POST /v1/instances"] = Access.Foreign, ["GET /v1/instances/{id}"] = Access.Foreign, ["DELETE /v1/instances/{id}"] = Access.Foreign,
        ["GET /v1/instances/{id}/actions"] = Access.Foreign, ["POST /v1/instances/{id}/actions/{action}"] = Access.Foreign,
        ["POST /v1/instances/{id}/actions/restore"] = Access.Foreign, ["GET /v1/operations/{id}"] = Access.Foreign,
        ["POST /v1/reservations"] = Access.Foreign, ["GET /v1/reservations/{id}"] = Access.Foreign,
        ["PATCH /v1/reservations/{id}"] = Access.Foreign, ["DELETE /v1/reservations/{id}"] = Access.Foreign,
        ["POST /v1/server-groups"] = Access.Foreign, ["GET /v1/server-groups/{id}"] = Access.Foreign,
        ["DELETE /v1/server-groups/{id}"] = Access.Foreign, ["POST /v1/snapshots"] = Access.Foreign,
        ["GET /v1/snapshots/{id}"] = Access.Foreign, ["DELETE /v1/snapshots/{id}"] = Access.Foreign,

        ["POST /v1/regions"] = Access.Admin, ["PATCH /v1/regions/{id}"] = Access.Admin, ["DELETE /v1/regions/{id}"] = Access.Admin,
        ["POST /v1/zones"] = Access.Admin, ["PATCH /v1/zones/{id}"] = Access.Admin, ["DELETE /v1/zones/{id}"] = Access.Admin,
        ["POST /v1/flavors"] = Access.Admin, ["PATCH /v1/flavors/{id}"] = Access.Admin, ["DELETE /v1/flavors/{id}"] = Access.Admin,
        ["POST /v1/sla-plans"] = Access.Admin, ["PATCH /v1/sla-plans/{id}"] = Access.Admin, ["DELETE /v1/sla-plans/{id}"] = Access.Admin,
        ["POST /v1/images"] = Access.Admin, ["PATCH /v1/images/{id}"] = Access.Admin, ["DELETE /v1/images/{id}"] = Access.Admin,
        ["GET /v1/hosts"] = Access.Admin, ["POST /v1/hosts"] = Access.Admin, ["GET /v1/hosts/{id}"] = Access.Admin,
        ["PATCH /v1/hosts/{id}"] = Access.Admin, ["DELETE /v1/hosts/{id}"] = Access.Admin,
        ["POST /v1/hosts/{id}/actions/enter-maintenance"] = Access.Admin, ["POST /v1/hosts/{id}/actions/exit-maintenance"] = Access.Admin,
        ["POST /v1/hosts/{id}/actions/power-off"] = Access.Admin, ["POST /v1/hosts/{id}/actions/power-on"] = Access.Admin,
        ["GET /v1/storage-pools"] = Access.Admin, ["POST /v1/storage-pools"] = Access.Admin, ["GET /v1/storage-pools/{id}"] = Access.Admin,
        ["PATCH /v1/storage-pools/{id}"] = Access.Admin, ["DELETE /v1/storage-pools/{id}"] = Access.Admin,
        ["GET /v1/tenants"] = Access.Admin, ["POST /v1/tenants"] = Access.Admin, ["GET /v1/tenants/{id}"] = Access.Admin,
        ["PATCH /v1/tenants/{id}"] = Access.Admin, ["GET /v1/tenants/{id}/api-keys"] = Access.Admin,
        ["POST /v1/tenants/{id}/api-keys"] = Access.Admin, ["DELETE /v1/tenants/{id}/api-keys/{keyId}"] = Access.Admin,
        ["GET /v1/admin-keys"] = Access.Admin, ["POST /v1/admin-keys"] = Access.Admin, ["DELETE /v1/admin-keys/{keyId}"] = Access.Admin,
        ["GET /v1/audit-events"] = Access.Admin, ["POST /v1/instances/{id}/actions/reset-state"] = Access.Admin,
        ["POST /v1/instances/{id}/actions/migrate"] = Access.Admin, ["POST /v1/migrations/preview"] = Access.Admin,
        ["GET /v1/migrations"] = Access.Admin, ["GET /v1/migrations/{id}"] = Access.Admin,
        ["POST /v1/migrations/{id}/actions/{action}"] = Access.Admin, ["POST /v1/planners/consolidation"] = Access.Admin,
        ["POST /v1/planners/consolidation/execute"] = Access.Admin, ["POST /v1/planners/rebalance"] = Access.Admin,
        ["POST /v1/planners/rebalance/execute"] = Access.Admin, ["POST /v1/placement/preview"] = Access.Admin,
        ["GET /v1/placement/stats"] = Access.Admin, ["GET /v1/simulation/faults"] = Access.Admin, ["POST /v1/simulation/faults"] = Access.Admin,
        ["DELETE /v1/simulation/faults/{faultId}"] = Access.Admin, ["GET /v1/simulation/hosts/{id}/vms"] = Access.Admin,
        ["PUT /v1/simulation/hosts/{id}/silence"] = Access.Admin, ["PUT /v1/simulation/instances/{id}/guest-memory"] = Access.Admin,
    };

    /// <summary>Query parameters the sweep knows: filters that could name another tenant's resources get one probe each; the rest are left out.</summary>
    private static readonly HashSet<string> Unfilled =
        ["limit", "pageToken", "status", "order", "kind", "visibility", "os", "family", "from", "to", "step", "since", "scheme", "state", "hypervisor"];

    /// <summary>The first tenant's world: every kind of resource a tenant owns, plus the cloud's ids the paths need.</summary>
    private sealed record World(Cloud Cloud, Guid TenantId, string TenantName, Guid KeyId, Guid AdminKeyId, Guid Instance, string InstanceName,
        Guid MigratedInstance, Guid Operation, Guid Group, string GroupName, Guid Reservation, string ReservationName, Guid LeasePlan,
        Guid Snapshot, string SnapshotName, Guid Migration, Guid PrivateImage, string PrivateImageName, Guid StoragePool, DateTimeOffset Now)
    {
        /// <summary>What must never reach another tenant: the first tenant's ids and names.</summary>
        public IReadOnlyList<string> Secrets =>
        [
            TenantId.ToString(), TenantName, KeyId.ToString(), Instance.ToString(), InstanceName, MigratedInstance.ToString(), Operation.ToString(),
            Group.ToString(), GroupName, Reservation.ToString(), ReservationName, Snapshot.ToString(), SnapshotName, Migration.ToString(),
            PrivateImage.ToString(), PrivateImageName,
        ];
    }

    private sealed record Probe(string Method, string Route, string Path, string Label, object? Body);

    private sealed record Row(string Method, string Route, string Label, string AsOtherTenant, string AsTenantOnAdminRoute, bool Leak, string? Failure);

    [Fact]
    public async Task EveryRoute_HidesTheFirstTenantsResources_FromASecondTenant_AndRefusesTenantKeysOnAdminRoutes()
    {
        var doc = JsonNode.Parse(await api.Client(null).GetStringAsync("/swagger/v1/swagger.json"))!["paths"]!.AsObject();
        var documented = doc.SelectMany(p => p.Value!.AsObject().Select(m => (Key: $"{m.Key.ToUpperInvariant()} {p.Key}", Operation: m.Value!))).ToList();

        // The sweep knows every route, and its classification agrees with the document's 403s (RequireAuthorization(admin)).
        var unknown = documented.Where(d => !Routes.ContainsKey(d.Key)).Select(d => d.Key).ToList();
        Assert.True(unknown.Count == 0, $"Routes the cross-tenant sweep does not know (classify and fill them in {nameof(CrossTenantSweepTests)}): {string.Join(", ", unknown)}");
        var stale = Routes.Keys.Except(documented.Select(d => d.Key)).ToList();
        Assert.True(stale.Count == 0, $"Routes in the sweep but not in the OpenAPI document: {string.Join(", ", stale)}");
        foreach (var (key, operation) in documented)
            Assert.True(operation["responses"]!.AsObject().ContainsKey("403") == (Routes[key] == Access.Admin),
                $"{key}: the document's 403 and the sweep's classification ({Routes[key]}) disagree");

        var world = await BuildWorldAsync();
        var (_, otherKey) = await api.NewTenantAsync();
        var other = api.Client(otherKey);
        var owner = api.Client(world.Cloud.TenantKey);
        var before = await SnapshotOfAsync(owner, world);

        var rows = new List<Row>();
        foreach (var (key, operation) in documented.OrderBy(d => d.Key.Split(' ')[1], StringComparer.Ordinal).ThenBy(d => d.Key, StringComparer.Ordinal))
        {
            var access = Routes[key];
            foreach (var probe in ProbesFor(key, operation, access, world))
            {
                var (status, text, type) = await SendAsync(access == Access.Anonymous ? api.Client(null) : other, probe);
                var leaked = Leaks(world, text, status is HttpStatusCode.NotFound or HttpStatusCode.Forbidden ? Echo(probe) : "");
                var failure = Judge(access, status, type, leaked);
                var asTenant = "—";
                if (access == Access.Admin)
                {
                    // (2) The first tenant's own key, on its own resources: an admin-only route is still 403.
                    var (ownStatus, ownText, ownType) = await SendAsync(owner, probe);
                    asTenant = $"{(int)ownStatus}";
                    if (ownStatus != HttpStatusCode.Forbidden || ownType != "forbidden")
                        failure ??= $"as the owning tenant: {(int)ownStatus} {ownType}: {Cap(ownText)}";
                }
                rows.Add(new Row(probe.Method, probe.Route, probe.Label, $"{(int)status}", asTenant, leaked.Count > 0,
                    failure is null ? null : $"{failure} [{string.Join(", ", leaked)}] {Cap(text)}"));
            }
        }

        var table = Table(rows, documented.Count);
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        if (ChildProcess.RepoRoot() is { } root)
        {
            Directory.CreateDirectory(Path.Combine(root, "artifacts"));
            await File.WriteAllTextAsync(Path.Combine(root, "artifacts", "cross-tenant-sweep.md"), table);
        }

        var failures = rows.Where(r => r.Failure is not null).Select(r => $"{r.Method} {r.Route} ({r.Label}): {r.Failure}").ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} probe(s) failed:\n{string.Join("\n", failures)}");
        Assert.DoesNotContain(rows, r => r.Leak);
        Assert.Equal(before, await SnapshotOfAsync(owner, world));   // nothing of the first tenant's changed
    }

    private static string? Judge(Access access, HttpStatusCode status, string? type, IReadOnlyList<string> leaked)
    {
        if (leaked.Count > 0) return "leaked the first tenant's ids or names";
        return access switch
        {
            Access.Admin => status == HttpStatusCode.Forbidden && type == "forbidden" ? null : $"expected 403 forbidden, got {(int)status} {type}",
            Access.Foreign => status == HttpStatusCode.NotFound && type == "not-found"
                              || status is HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity
                ? null : $"expected 404 not-found, got {(int)status} {type}",
            Access.Read => status is HttpStatusCode.OK or HttpStatusCode.BadRequest ? null : $"expected 200, got {(int)status} {type}",
            _ => status == HttpStatusCode.OK ? null : $"expected 200, got {(int)status}",
        };
    }

    /// <summary>The first tenant's secrets found in an answer, apart from ids the request itself named (a 404 may echo those).</summary>
    private static List<string> Leaks(World world, string text, string echo) =>
        world.Secrets.Where(s => text.Contains(s, StringComparison.OrdinalIgnoreCase) && !echo.Contains(s, StringComparison.OrdinalIgnoreCase)).ToList();

    private static string Echo(Probe probe) => probe.Path + (probe.Body is null ? "" : JsonSerializer.Serialize(probe.Body, TestCloud.Json));

    private static async Task<(HttpStatusCode Status, string Text, string? Type)> SendAsync(HttpClient client, Probe probe)
    {
        using var request = new HttpRequestMessage(new HttpMethod(probe.Method), probe.Path);
        if (probe.Body is not null) request.Content = JsonContent.Create(probe.Body, options: TestCloud.Json);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        string? type = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
            type = JsonNode.Parse(text)?["type"]?.GetValue<string>()?.Replace("https://iaasapi.dev/problems/", "");
        return (response.StatusCode, text, type);
    }

    /// <summary>The calls made for one route: its path filled with the first tenant's ids; for the tenant's reads, one call per filter too.</summary>
    private static IEnumerable<Probe> ProbesFor(string key, JsonNode operation, Access access, World w)
    {
        var method = key[..key.IndexOf(' ')];
        var route = key[(key.IndexOf(' ') + 1)..];
        var path = FillPath(route, w);
        if (access == Access.Read)
        {
            yield return new Probe(method, route, path, "no filter", null);
            foreach (var parameter in (operation["parameters"]?.AsArray() ?? []).Where(p => p!["in"]!.GetValue<string>() == "query"))
            {
                var name = parameter!["name"]!.GetValue<string>();
                if (Unfilled.Contains(name)) continue;
                var value = QueryValue(route, name, w)
                            ?? throw new InvalidOperationException($"{key}: the sweep does not know how to fill ?{name}= (add it to {nameof(QueryValue)} or {nameof(Unfilled)}).");
                if (value.Length > 0) yield return new Probe(method, route, $"{path}?{name}={Uri.EscapeDataString(value)}", $"?{name}=", null);
            }
            yield break;
        }
        if (access is Access.Admin or Access.Anonymous || method is "GET" or "DELETE")
        {
            yield return new Probe(method, route, path, access == Access.Foreign ? "first tenant's id" : "—", method is "POST" or "PUT" or "PATCH" ? new { } : null);
            yield break;
        }
        foreach (var (label, body) in BodiesFor(key, w)) yield return new Probe(method, route, path, label, body);
    }

    /// <summary>Bodies of the tenant's writes, each naming one of the first tenant's resources (and otherwise valid).</summary>
    private static IEnumerable<(string Label, object? Body)> BodiesFor(string key, World w)
    {
        var c = w.Cloud;
        var start = w.Now.AddDays(2);                            // the control plane's clock: earlier tests move it
        switch (key)
        {
            case "POST /v1/instances":
                yield return ("tenantId", new { name = "x", flavorId = c.FlavorId, imageId = c.ImageId, slaPlanId = c.PlanId, tenantId = w.TenantId });
                yield return ("serverGroupId", new { name = "x", flavorId = c.FlavorId, imageId = c.ImageId, slaPlanId = c.PlanId, serverGroupId = w.Group });
                yield return ("reservationId", new { name = "x", flavorId = c.FlavorId, imageId = c.ImageId, reservationId = w.Reservation });
                yield return ("private imageId", new { name = "x", flavorId = c.FlavorId, imageId = w.PrivateImage, slaPlanId = c.PlanId });
                break;
            case "POST /v1/instances/{id}/actions/{action}":
                yield return ("stop", null);
                break;
            case "POST /v1/instances/{id}/actions/restore":
                yield return ("snapshotId", new { snapshotId = w.Snapshot });
                break;
            case "POST /v1/reservations":
                yield return ("tenantId", new { name = "x", flavorId = c.FlavorId, count = 1, zoneId = c.ZoneId, start, end = start.AddHours(1), slaPlanId = w.LeasePlan, tenantId = w.TenantId });
                break;
            case "PATCH /v1/reservations/{id}":
                yield return ("end", new { end = start.AddHours(5) });
                break;
            case "POST /v1/server-groups":
                yield return ("tenantId", new { name = "x", policy = "affinity", tenantId = w.TenantId });
                break;
            case "POST /v1/snapshots":
                yield return ("instanceId", new { instanceId = w.Instance, name = "x" });
                break;
            default:
                throw new InvalidOperationException($"{key}: the sweep does not know a body for this route (add one to {nameof(BodiesFor)}).");
        }
    }

    /// <summary>A path parameter is the first tenant's resource of the kind its collection names (or the cloud's, for the catalog).</summary>
    private static string FillPath(string route, World w)
    {
        var segments = route.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (!segments[i].StartsWith('{')) continue;
            var collection = i > 0 ? segments[i - 1] : "";
            object value = (collection, segments[i]) switch
            {
                ("actions", "{action}") => segments[1] == "v1" && segments[2] == "migrations" ? "cancel" : "stop",
                ("instances", _) => w.Instance,
                ("operations", _) => w.Operation,
                ("reservations", _) => w.Reservation,
                ("server-groups", _) => w.Group,
                ("snapshots", _) => w.Snapshot,
                ("migrations", _) => w.Migration,
                ("images", _) => w.PrivateImage,
                ("tenants", _) => w.TenantId,
                ("api-keys", _) => w.KeyId,
                ("admin-keys", _) => w.AdminKeyId,
                ("hosts", _) => w.Cloud.HostIds[0],
                ("zones", _) => w.Cloud.ZoneId,
                ("regions", _) => w.Cloud.RegionId,
                ("flavors", _) => w.Cloud.FlavorId,
                ("sla-plans", _) => w.Cloud.PlanId,
                ("storage-pools", _) => w.StoragePool,
                ("faults", _) => Guid.NewGuid(),   // faults are process-wide test switches: none is injected for the sweep
                _ => throw new InvalidOperationException($"{route}: the sweep does not know how to fill {segments[i]} after '{collection}' (add it to {nameof(FillPath)})."),
            };
            segments[i] = value.ToString()!;
        }
        return string.Join('/', segments);
    }

    /// <summary>The filter value that would find the first tenant's resources; "" to leave a catalog filter out; null if unknown.</summary>
    private static string? QueryValue(string route, string name, World w) => name switch
    {
        "tenantId" => w.TenantId.ToString(),
        "resourceId" or "instanceId" or "sourceInstanceId" => w.Instance.ToString(),
        "reservationId" => w.Reservation.ToString(),
        "hostId" => w.Cloud.HostIds[0].ToString(),
        "keyId" => w.KeyId.ToString(),
        "zoneId" => w.Cloud.ZoneId.ToString(),
        "regionId" => w.Cloud.RegionId.ToString(),
        "flavorId" => w.Cloud.FlavorId.ToString(),
        "slaPlanId" => w.Cloud.PlanId.ToString(),
        "name" => route switch { "/v1/instances" => w.InstanceName, "/v1/images" => w.PrivateImageName, _ => "" },
        _ => null,
    };

    private async Task<World> BuildWorldAsync()
    {
        var admin = api.Admin();
        var cloud = await api.SeedAsync(hosts: 2);
        var owner = api.Client(cloud.TenantKey);
        var tenant = await admin.GetJson($"/v1/tenants/{cloud.TenantId}");
        var keyId = (await admin.GetJson($"/v1/tenants/{cloud.TenantId}/api-keys"))["items"]!.AsArray()[0]!.Id();
        var adminKeyId = (await admin.PostOk("/v1/admin-keys", new { name = TestCloud.Unique("sweep") })).Id();

        var instanceName = TestCloud.Unique("vm");
        var instance = await owner.CreateInstanceAsync(cloud, instanceName);
        var migrated = await owner.CreateInstanceAsync(cloud);
        await owner.WaitForStatusAsync(instance.Id(), "running");
        await owner.WaitForStatusAsync(migrated.Id(), "running");
        var migration = await (await admin.PostAsJsonAsync($"/v1/instances/{migrated.Id()}/actions/migrate", new { })).ExpectAsync(HttpStatusCode.Accepted);

        var groupName = TestCloud.Unique("sg");
        var group = await owner.PostOk("/v1/server-groups", new { name = groupName, policy = "anti-affinity" });
        var leasePlan = await admin.PostOk("/v1/sla-plans", new
        {
            name = TestCloud.Unique("lease"), priority = 500, schemes = new[] { "immediate", "reservation" }, preemptible = false,
            placementStrategy = "spread", availabilityTarget = 99.9, maxProvisioningSeconds = 300, pricePerHour = 0.1, penaltyPercent = 10,
        });
        var start = api.Clock.GetUtcNow().AddHours(1);
        var reservationName = TestCloud.Unique("lease");
        var reservation = await owner.PostOk("/v1/reservations", new
        {
            name = reservationName, flavorId = cloud.FlavorId, count = 1, zoneId = cloud.ZoneId, start, end = start.AddHours(1), slaPlanId = leasePlan.Id(),
        });
        var snapshotName = TestCloud.Unique("snap");
        var snapshot = await (await owner.PostAsJsonAsync("/v1/snapshots", new { instanceId = instance.Id(), name = snapshotName })).ExpectAsync(HttpStatusCode.Accepted);
        await owner.WaitForOperationAsync(snapshot["operationId"]!.GetValue<Guid>());
        var pool = await admin.PostOk("/v1/storage-pools", new { name = TestCloud.Unique("pool"), zoneId = cloud.ZoneId, capacityGiB = 100 });

        // A private image (a snapshot-then-delete's) arises only when a reservation ends; arranged directly.
        var imageName = TestCloud.Unique("private");
        var imageId = await api.WithDbAsync(async db =>
        {
            var vm = await db.Instances.SingleAsync(i => i.Id == instance.Id());
            var image = Image.SnapshotOf(vm, null, imageName, 100, api.Clock.GetUtcNow());
            db.Images.Add(image);
            await db.SaveChangesAsync();
            return image.Id;
        });

        return new World(cloud, cloud.TenantId, tenant.Str("name"), keyId, adminKeyId, instance.Id(), instanceName, migrated.Id(),
            instance["operationId"]!.GetValue<Guid>(), group.Id(), groupName, reservation.Id(), reservationName, leasePlan.Id(),
            snapshot.Id(), snapshotName, migration.Id(), imageId, imageName, pool.Id(), api.Clock.GetUtcNow());
    }

    /// <summary>What the owner sees of its resources (statuses and versions): the sweep must leave it as it was.</summary>
    private static async Task<string> SnapshotOfAsync(HttpClient owner, World w)
    {
        var parts = new List<string>();
        foreach (var path in new[] { $"/v1/instances/{w.Instance}", $"/v1/server-groups/{w.Group}", $"/v1/reservations/{w.Reservation}", $"/v1/snapshots/{w.Snapshot}", $"/v1/images/{w.PrivateImage}" })
        {
            var response = await owner.GetAsync(path);
            parts.Add($"{path} {(int)response.StatusCode} {response.Headers.ETag} {(await response.ExpectAsync(HttpStatusCode.OK))["status"]}");
        }
        parts.Add($"/v1/me {(await owner.GetAsync("/v1/me")).StatusCode}");
        return string.Join('\n', parts);
    }

    private static string Table(IReadOnlyList<Row> rows, int routes)
    {
        var text = new StringBuilder();
        text.AppendLine($"Cross-tenant sweep: {routes} routes (path × method) of the OpenAPI document, {rows.Count} calls; " +
                        $"leaks: {rows.Count(r => r.Leak)}; unexpected answers: {rows.Count(r => r.Failure is not null)}.");
        text.AppendLine();
        text.AppendLine("| Method | Route | Call | As other tenant | As tenant on admin route | Leak |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var r in rows)
            text.AppendLine($"| {r.Method} | `{r.Route}` | {r.Label} | {r.AsOtherTenant} | {r.AsTenantOnAdminRoute} | {(r.Leak ? "yes" : "no")}{(r.Failure is null ? "" : " ✗")} |");
        return text.ToString();
    }

    private static string Cap(string s) => s.Length > 300 ? s[..300] + "…" : s;
}
