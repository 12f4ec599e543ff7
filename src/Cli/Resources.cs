using System.Globalization;
using System.Reflection;
using IaasApi.Client;
using IaasApi.Client.Models;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;

namespace IaasApi.Cli;

/// <summary>
/// A resource as the CLI shows it: its command, the columns of its table, and which of list / show / create / delete the
/// API offers (and update, where it takes a PATCH), each a call of the generated client. <see cref="Created"/>/<see cref="Deleted"/> name the operation a
/// write starts (followed by <c>--wait</c>), when it starts one.
/// </summary>
internal sealed record ResourceKind(
    string Command, string Description, string[] Columns,
    Func<IaasApiClient, ListArgs, CancellationToken, Task<IParsable?>> List,
    Func<IaasApiClient, Guid, CancellationToken, Task<IParsable?>>? Show = null,
    Func<IaasApiClient, string, RequestHeaders, CancellationToken, Task<IParsable?>>? Create = null,
    Func<IaasApiClient, Guid, RequestHeaders, CancellationToken, Task<IParsable?>>? Delete = null,
    Func<IaasApiClient, Guid, string, RequestHeaders, CancellationToken, Task<IParsable?>>? Update = null);

/// <summary>A list's paging and filters (<c>--filter key=value</c>, the query parameters the document lists for it).</summary>
internal sealed record ListArgs(int? Limit, string? PageToken, IReadOnlyDictionary<string, string> Filters)
{
    /// <summary>Sets the generated query-parameter object's members by their wire names; an unknown one is a usage error naming the known.</summary>
    public void Apply(object parameters)
    {
        var members = parameters.GetType().GetProperties()
            .Select(p => (Property: p, Name: p.GetCustomAttribute<QueryParameterAttribute>()?.TemplateName ?? p.Name))
            .GroupBy(m => m.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().Property, StringComparer.OrdinalIgnoreCase);
        var values = new Dictionary<string, string>(Filters, StringComparer.OrdinalIgnoreCase);
        if (Limit is { } limit) values["limit"] = limit.ToString(CultureInfo.InvariantCulture);
        if (PageToken is { } token) values["pageToken"] = token;
        foreach (var (name, text) in values)
        {
            if (!members.TryGetValue(name, out var property))
                throw new CliException($"This list takes no filter '{name}'; it takes: {string.Join(", ", members.Keys.Where(k => k is not ("limit" or "pageToken")).Order())}.", ExitCodes.Usage);
            property.SetValue(parameters, Convert(text, property.PropertyType, name));
        }
    }

    private static object Convert(string text, Type type, string name)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            if (target == typeof(string)) return text;
            if (target == typeof(Guid)) return Guid.Parse(text);
            if (target == typeof(int)) return int.Parse(text, CultureInfo.InvariantCulture);
            if (target == typeof(bool)) return bool.Parse(text);
            if (target == typeof(DateTimeOffset)) return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
            if (target.IsEnum) return EnumWords.Parse(target, text, $"--filter {name}");
        }
        catch (FormatException) { }
        throw new CliException($"'{text}' is not a valid {name} ({target.Name}).", ExitCodes.Usage);
    }
}

internal static class ResourceKinds
{
    internal static async Task<IParsable?> Body<T>(string json, ParsableFactory<T> factory, Func<T, Task<IParsable?>> send) where T : IParsable =>
        await send(await KiotaJsonSerializer.DeserializeAsync(json, factory) ?? throw new CliException("The body is empty.", ExitCodes.Usage));

    private static Action<RequestConfiguration<T>> With<T>(RequestHeaders headers, Action<T>? query = null) where T : class, new() => r =>
    {
        r.Headers.AddAll(headers);
        query?.Invoke(r.QueryParameters);
    };

    public static readonly IReadOnlyList<ResourceKind> All =
    [
        new("regions", "Regions: the top of the inventory.", ["id", "name", "createdAt"],
            async (c, a, ct) => await c.V1.Regions.GetAsync(With<Client.V1.Regions.RegionsRequestBuilder.RegionsRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.Regions[id].GetAsync(cancellationToken: ct),
            (c, json, h, ct) => Body(json, CreateRegionRequest.CreateFromDiscriminatorValue, async b => await c.V1.Regions.PostAsync(b, With<DefaultQueryParameters>(h), ct)),
            async (c, id, h, ct) => { await c.V1.Regions[id].DeleteAsync(With<DefaultQueryParameters>(h), ct); return null; },
            Update: (c, id, json, h, ct) => Body(json, UpdateRegionRequest.CreateFromDiscriminatorValue, async b => await c.V1.Regions[id].PatchAsync(b, With<DefaultQueryParameters>(h), ct))),
        new("zones", "Availability zones (a region's failure domains).", ["id", "name", "regionId", "createdAt"],
            async (c, a, ct) => await c.V1.Zones.GetAsync(With<Client.V1.Zones.ZonesRequestBuilder.ZonesRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.Zones[id].GetAsync(cancellationToken: ct),
            (c, json, h, ct) => Body(json, CreateZoneRequest.CreateFromDiscriminatorValue, async b => await c.V1.Zones.PostAsync(b, With<DefaultQueryParameters>(h), ct)),
            async (c, id, h, ct) => { await c.V1.Zones[id].DeleteAsync(With<DefaultQueryParameters>(h), ct); return null; },
            Update: (c, id, json, h, ct) => Body(json, UpdateZoneRequest.CreateFromDiscriminatorValue, async b => await c.V1.Zones[id].PatchAsync(b, With<DefaultQueryParameters>(h), ct))),
        new("hosts", "Hosts: capacity, state, maintenance and power.", ["id", "name", "zoneId", "state", "power", "instanceCount", "hypervisor"],
            async (c, a, ct) => await c.V1.Hosts.GetAsync(With<Client.V1.Hosts.HostsRequestBuilder.HostsRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.Hosts[id].GetAsync(cancellationToken: ct),
            (c, json, h, ct) => Body(json, CreateHostRequest.CreateFromDiscriminatorValue, async b => await c.V1.Hosts.PostAsync(b, With<DefaultQueryParameters>(h), ct)),
            async (c, id, h, ct) => { await c.V1.Hosts[id].DeleteAsync(With<DefaultQueryParameters>(h), ct); return null; },
            Update: (c, id, json, h, ct) => Body(json, UpdateHostRequest.CreateFromDiscriminatorValue, async b => await c.V1.Hosts[id].PatchAsync(b, With<DefaultQueryParameters>(h), ct))),
        new("flavors", "Flavors: VM sizes.", ["id", "name", "vcpus", "memoryMiB", "diskGiB", "family"],
            async (c, a, ct) => await c.V1.Flavors.GetAsync(With<Client.V1.Flavors.FlavorsRequestBuilder.FlavorsRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.Flavors[id].GetAsync(cancellationToken: ct),
            (c, json, h, ct) => Body(json, CreateFlavorRequest.CreateFromDiscriminatorValue, async b => await c.V1.Flavors.PostAsync(b, With<DefaultQueryParameters>(h), ct)),
            async (c, id, h, ct) => { await c.V1.Flavors[id].DeleteAsync(With<DefaultQueryParameters>(h), ct); return null; },
            Update: (c, id, json, h, ct) => Body(json, UpdateFlavorRequest.CreateFromDiscriminatorValue, async b => await c.V1.Flavors[id].PatchAsync(b, With<DefaultQueryParameters>(h), ct))),
        new("images", "Images an instance boots from.", ["id", "name", "os", "format", "minDiskGiB"],
            async (c, a, ct) => await c.V1.Images.GetAsync(With<Client.V1.Images.ImagesRequestBuilder.ImagesRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.Images[id].GetAsync(cancellationToken: ct),
            (c, json, h, ct) => Body(json, CreateImageRequest.CreateFromDiscriminatorValue, async b => await c.V1.Images.PostAsync(b, With<DefaultQueryParameters>(h), ct)),
            async (c, id, h, ct) => { await c.V1.Images[id].DeleteAsync(With<DefaultQueryParameters>(h), ct); return null; },
            Update: (c, id, json, h, ct) => Body(json, UpdateImageRequest.CreateFromDiscriminatorValue, async b => await c.V1.Images[id].PatchAsync(b, With<DefaultQueryParameters>(h), ct))),
        new("sla-plans", "SLA plans.", ["id", "name", "priority", "schemes", "availabilityTarget", "placementStrategy"],
            async (c, a, ct) => await c.V1.SlaPlans.GetAsync(With<Client.V1.SlaPlans.SlaPlansRequestBuilder.SlaPlansRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.SlaPlans[id].GetAsync(cancellationToken: ct),
            (c, json, h, ct) => Body(json, SlaPlanRequest.CreateFromDiscriminatorValue, async b => await c.V1.SlaPlans.PostAsync(b, With<DefaultQueryParameters>(h), ct)),
            async (c, id, h, ct) => { await c.V1.SlaPlans[id].DeleteAsync(With<DefaultQueryParameters>(h), ct); return null; },
            Update: (c, id, json, h, ct) => Body(json, SlaPlanRequest.CreateFromDiscriminatorValue, async b => await c.V1.SlaPlans[id].PatchAsync(b, With<DefaultQueryParameters>(h), ct))),
        new("tenants", "Tenants and their quotas.", ["id", "name", "createdAt"],
            async (c, a, ct) => await c.V1.Tenants.GetAsync(With<Client.V1.Tenants.TenantsRequestBuilder.TenantsRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.Tenants[id].GetAsync(cancellationToken: ct),
            (c, json, h, ct) => Body(json, CreateTenantRequest.CreateFromDiscriminatorValue, async b => await c.V1.Tenants.PostAsync(b, With<DefaultQueryParameters>(h), ct)),
            Update: (c, id, json, h, ct) => Body(json, UpdateTenantRequest.CreateFromDiscriminatorValue, async b => await c.V1.Tenants[id].PatchAsync(b, With<DefaultQueryParameters>(h), ct))),
        new("instances", "Instances (VMs).", ["id", "name", "status", "tenantId", "flavorId", "zoneId", "operationId"],
            async (c, a, ct) => await c.V1.Instances.GetAsync(With<Client.V1.Instances.InstancesRequestBuilder.InstancesRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.Instances[id].GetAsync(cancellationToken: ct),
            null,   // `iaas instances create` has its own options
            async (c, id, h, ct) => await c.V1.Instances[id].DeleteAsync(With<DefaultQueryParameters>(h), ct)),
        new("migrations", "Live, cold and storage migrations.", ["id", "instanceId", "type", "status", "stage", "progress", "sourceHostId", "targetHostId"],
            async (c, a, ct) => await c.V1.Migrations.GetAsync(With<Client.V1.Migrations.MigrationsRequestBuilder.MigrationsRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.Migrations[id].GetAsync(cancellationToken: ct)),
        new("reservations", "Advance reservations.", ["id", "name", "status", "start", "end", "count", "zoneId"],
            async (c, a, ct) => await c.V1.Reservations.GetAsync(With<Client.V1.Reservations.ReservationsRequestBuilder.ReservationsRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.Reservations[id].GetAsync(cancellationToken: ct),
            (c, json, h, ct) => Body(json, CreateReservationRequest.CreateFromDiscriminatorValue, async b => await c.V1.Reservations.PostAsync(b, With<DefaultQueryParameters>(h), ct)),
            async (c, id, h, ct) => await c.V1.Reservations[id].DeleteAsync(With<DefaultQueryParameters>(h), ct),
            Update: (c, id, json, h, ct) => Body(json, UpdateReservationRequest.CreateFromDiscriminatorValue, async b => await c.V1.Reservations[id].PatchAsync(b, With<DefaultQueryParameters>(h), ct))),
        new("snapshots", "Snapshots of instances.", ["id", "name", "instanceId", "status", "includesMemory", "createdAt"],
            async (c, a, ct) => await c.V1.Snapshots.GetAsync(With<Client.V1.Snapshots.SnapshotsRequestBuilder.SnapshotsRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.Snapshots[id].GetAsync(cancellationToken: ct),
            (c, json, h, ct) => Body(json, CreateSnapshotRequest.CreateFromDiscriminatorValue, async b => await c.V1.Snapshots.PostAsync(b, With<DefaultQueryParameters>(h), ct)),
            async (c, id, h, ct) => await c.V1.Snapshots[id].DeleteAsync(With<DefaultQueryParameters>(h), ct)),
        new("server-groups", "Affinity and anti-affinity groups.", ["id", "name", "policy", "tenantId"],
            async (c, a, ct) => await c.V1.ServerGroups.GetAsync(With<Client.V1.ServerGroups.ServerGroupsRequestBuilder.ServerGroupsRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.ServerGroups[id].GetAsync(cancellationToken: ct),
            (c, json, h, ct) => Body(json, CreateServerGroupRequest.CreateFromDiscriminatorValue, async b => await c.V1.ServerGroups.PostAsync(b, With<DefaultQueryParameters>(h), ct)),
            async (c, id, h, ct) => { await c.V1.ServerGroups[id].DeleteAsync(With<DefaultQueryParameters>(h), ct); return null; }),
        new("storage-pools", "Shared storage pools.", ["id", "name", "zoneId", "capacityGiB", "allocatedGiB"],
            async (c, a, ct) => await c.V1.StoragePools.GetAsync(With<Client.V1.StoragePools.StoragePoolsRequestBuilder.StoragePoolsRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.StoragePools[id].GetAsync(cancellationToken: ct),
            (c, json, h, ct) => Body(json, CreateStoragePoolRequest.CreateFromDiscriminatorValue, async b => await c.V1.StoragePools.PostAsync(b, With<DefaultQueryParameters>(h), ct)),
            async (c, id, h, ct) => { await c.V1.StoragePools[id].DeleteAsync(With<DefaultQueryParameters>(h), ct); return null; },
            Update: (c, id, json, h, ct) => Body(json, UpdateStoragePoolRequest.CreateFromDiscriminatorValue, async b => await c.V1.StoragePools[id].PatchAsync(b, With<DefaultQueryParameters>(h), ct))),
        new("operations", "Long-running work.", ["id", "kind", "status", "progress", "resourceType", "resourceId", "createdAt"],
            async (c, a, ct) => await c.V1.Operations.GetAsync(With<Client.V1.Operations.OperationsRequestBuilder.OperationsRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct),
            async (c, id, ct) => await c.V1.Operations[id].GetAsync(cancellationToken: ct)),
        new("audit-events", "Who did what, when.", ["at", "method", "route", "statusCode", "outcome", "keyId"],
            async (c, a, ct) => await c.V1.AuditEvents.GetAsync(With<Client.V1.AuditEvents.AuditEventsRequestBuilder.AuditEventsRequestBuilderGetQueryParameters>(new RequestHeaders(), a.Apply), ct)),
    ];
}
