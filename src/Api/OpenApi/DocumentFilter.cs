using System.Text.RegularExpressions;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace IaasApi.Api.OpenApi;

/// <summary>
/// What the document says as a whole: its server (the host that serves it), the tags' descriptions, the one problem
/// schema, and a summary on every operation (its operation id in words, where the route states none).
/// </summary>
internal sealed partial class DocumentFilter : IDocumentFilter
{
    private static readonly Dictionary<string, string> Tags = new()
    {
        ["ApiKeys"] = "API keys: a tenant's keys and the admin keys (each secret shown once, at creation).",
        ["AuditEvents"] = "Who did what, when: every write, with its outcome.",
        ["Flavors"] = "The catalog's VM sizes (vCPUs, memory, disk, network) and their placement requirements.",
        ["Health"] = "Liveness and readiness probes (no key needed).",
        ["Hosts"] = "The physical inventory: hosts, their capacity, maintenance and power.",
        ["Images"] = "OS images/templates an instance boots from.",
        ["Instances"] = "A tenant's VMs: create (immediate, best-effort, reservation), read, act on, delete.",
        ["Me"] = "Who this API key is.",
        ["Migrations"] = "Live, cold and storage migrations, their previews and the consolidation/rebalance planners.",
        ["Operations"] = "Long-running work: follow an operation until it ends.",
        ["Overview"] = "The fleet at a glance, and the best-effort queue.",
        ["Placement"] = "Where a request would land, and why other hosts were eliminated.",
        ["Regions"] = "The top of the inventory: regions hold zones.",
        ["Reservations"] = "Advance reservations of capacity, and the capacity timeline.",
        ["ServerGroups"] = "Affinity and anti-affinity groups of instances.",
        ["Simulation"] = "The fake hypervisor's controls (faults, silence, guest memory) for tests and simulation.",
        ["SlaPlans"] = "SLA plans: priority, schemes, availability target, placement strategy, migration policy.",
        ["Snapshots"] = "Snapshots of an instance's disk (and memory), and restores from them.",
        ["StoragePools"] = "Shared storage pools a zone's hosts mount.",
        ["Tenants"] = "Tenants and their quotas.",
        ["Zones"] = "Availability zones: a region's failure domains, holding hosts.",
    };

    private static readonly Dictionary<string, string> Summaries = new()
    {
        ["Healthz"] = "Liveness: the process answers",
        ["Readyz"] = "Readiness: the database is reachable and migrated",
        ["InstanceAction"] = "Start, stop, reboot, shelve or unshelve an instance",
        ["MigrationAction"] = "Cancel a migration or switch it to post-copy",
        ["GetMe"] = "Who this API key is",
    };

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        document.Servers = [new OpenApiServer { Url = "/", Description = "The control plane that serves this document." }];
        document.Info.Contact = new OpenApiContact { Name = "IaasApi operators", Url = new Uri("https://iaasapi.dev/") };
        document.Info.License = new OpenApiLicense { Name = "Proprietary", Url = new Uri("https://iaasapi.dev/license") };
        document.Tags = new HashSet<OpenApiTag>(
            (document.Tags ?? new HashSet<OpenApiTag>()).Select(t => new OpenApiTag { Name = t.Name, Description = t.Name is { } n && Tags.TryGetValue(n, out var d) ? d : t.Description }));

        foreach (var operation in (document.Paths ?? []).Values.SelectMany(p => p.Operations ?? []).Select(o => o.Value))
            if (string.IsNullOrEmpty(operation.Summary) && operation.OperationId is { } id)
                operation.Summary = Summaries.TryGetValue(id, out var summary) ? summary : Words(id);

        var schemas = document.Components!.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        schemas[ProblemSchema.Id] = ProblemSchema.Create();
        // The framework's problem types, which the routes' metadata names, are all answered as the one Problem schema.
        schemas.Remove(nameof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails));
    }

    /// <summary>"ListSlaPlans" → "List SLA plans".</summary>
    private static string Words(string operationId)
    {
        var words = WordBoundary().Split(operationId).Where(w => w.Length > 0).ToList();
        for (var i = 0; i < words.Count; i++)
            words[i] = words[i] switch { "Sla" => "SLA", "Api" => "API", "Vms" => "VMs", _ => i == 0 ? words[i] : words[i].ToLowerInvariant() };
        return string.Join(' ', words);
    }

    [GeneratedRegex("(?<=[a-z])(?=[A-Z])")]
    private static partial Regex WordBoundary();
}
