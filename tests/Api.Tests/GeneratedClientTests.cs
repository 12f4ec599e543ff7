using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Client;
using IaasApi.Client.Models;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;

namespace IaasApi.Api.Tests;

/// <summary>
/// The C# client Kiota generates from the document (src/Client, at build) driven through an instance's life cycle with
/// typed requests, typed answers and typed problems — no hand-written JSON, no workaround — and the document it is
/// generated from kept equal to the one the API serves.
/// </summary>
public sealed class GeneratedClientTests(ApiFactory api)
{
    [Fact]
    public async Task TheClientIsGeneratedFromTheServedDocument()
    {
        var served = JsonNode.Parse(await api.CreateClient().GetStringAsync("/swagger/v1/swagger.json"))!;
        var file = Path.Combine(ChildProcess.RepoRoot()!, "src", "Client", "openapi.json");
        if (Environment.GetEnvironmentVariable("IAAS_UPDATE_OPENAPI") == "1")
            await File.WriteAllTextAsync(file, served.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        Assert.True(JsonNode.DeepEquals(served, JsonNode.Parse(await File.ReadAllTextAsync(file))),
            "The served OpenAPI document changed: refresh src/Client/openapi.json with " +
            "`IAAS_UPDATE_OPENAPI=1 dotnet test tests/Api.Tests --filter GeneratedClientTests`, rebuild and commit it.");
    }

    [Fact]
    public async Task LifeCycle_ThroughTheGeneratedClient_IsTyped_IdempotentAndConditional()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var client = Connect(cloud.TenantKey);

        // Create with an Idempotency-Key: a typed 202 holding one instance (the batch alternative stays empty).
        var key = Guid.NewGuid().ToString();
        var request = new CreateInstanceRequest { Name = "typed", FlavorId = cloud.FlavorId, ImageId = cloud.ImageId, SlaPlanId = cloud.PlanId };
        var created = await client.V1.Instances.PostAsync(request, c => c.Headers.Add("Idempotency-Key", key));
        var instance = Assert.Single(created!.Instances);
        Assert.Null(created.InstanceBatchResponse?.Items);
        Assert.Equal("typed", instance.Name);
        Assert.Equal(InstanceStatus.Building, instance.Status);

        // The replay: the same answer, marked as replayed, and still one instance.
        var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
        var replayed = await client.V1.Instances.PostAsync(request, c =>
        {
            c.Headers.Add("Idempotency-Key", key);
            c.Options.Add(headers);
        });
        Assert.Equal(instance.Id, Assert.Single(replayed!.Instances).Id);
        Assert.Equal(created.OperationId, replayed.OperationId);
        Assert.Equal("true", headers.ResponseHeaders["Idempotent-Replayed"].Single());
        var mine = await client.V1.Instances.GetAsync(c => c.QueryParameters.Name = "typed");
        Assert.Single(mine!.Items!, i => i.TenantId == cloud.TenantId);

        // Poll the operation to its end.
        var operation = await UntilAsync(() => client.V1.Operations[created.OperationId!.Value].GetAsync(), o => o!.Status != OperationStatus.Running);
        Assert.Equal(OperationStatus.Succeeded, operation!.Status);
        Assert.Null(operation.Error);

        // Stop it (an action answers 202 with the instance) and wait for it to be stopped.
        var item = client.V1.Instances[instance.Id!.Value];
        await item.Actions["stop"].PostAsync();
        var stopped = await UntilAsync(() => item.GetAsync(), i => i!.Status == InstanceStatus.Stopped);

        // Delete with If-Match: a stale version is a typed 412 problem; the current ETag deletes it.
        var problem = await Assert.ThrowsAsync<Problem>(() => item.DeleteAsync(c => c.Headers.Add("If-Match", "\"1\"")));
        Assert.Equal(412, problem.ResponseStatusCode);
        Assert.EndsWith("/precondition-failed", problem.Type);
        var read = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
        await item.GetAsync(c => c.Options.Add(read));
        var deleting = await item.DeleteAsync(c => c.Headers.Add("If-Match", read.ResponseHeaders["ETag"].Single()));
        Assert.Equal(instance.Id, deleting!.Id);
        await UntilAsync(() => item.GetAsync(), i => i!.Status == InstanceStatus.Deleted);

        // An unknown id is a typed 404 problem with its trace id.
        var missing = await Assert.ThrowsAsync<Problem>(() => client.V1.Instances[Guid.NewGuid()].GetAsync());
        Assert.Equal(404, missing.ResponseStatusCode);
        Assert.False(string.IsNullOrEmpty(missing.TraceId));
        Assert.NotNull(stopped);
    }

    [Fact]
    public async Task CatalogAndBatches_ThroughTheGeneratedClient()
    {
        var admin = Connect(ApiFactory.AdminKey);
        var name = $"gen-{Guid.NewGuid().ToString("N")[..8]}";
        var flavor = await admin.V1.Flavors.PostAsync(new CreateFlavorRequest { Name = name, Vcpus = 1, MemoryMiB = 512, DiskGiB = 1, Family = FlavorFamily.General });
        Assert.Equal(name, flavor!.Name);
        var page = await admin.V1.Flavors.GetAsync(c => c.QueryParameters.Name = name);
        Assert.Equal(flavor.Id, Assert.Single(page!.Items!).Id);
        var renamed = await admin.V1.Flavors[flavor.Id!.Value].PatchAsync(new UpdateFlavorRequest { Name = name + "-b" });
        Assert.Equal(name + "-b", renamed!.Name);
        // A validation problem names the field.
        var invalid = await Assert.ThrowsAsync<Problem>(() => admin.V1.Flavors.PostAsync(new CreateFlavorRequest { Name = "x", Vcpus = 0, MemoryMiB = 1, DiskGiB = 1 }));
        Assert.Equal(400, invalid.ResponseStatusCode);
        Assert.True(invalid.Errors!.AdditionalData.ContainsKey("vcpus"));
        await admin.V1.Flavors[flavor.Id.Value].DeleteAsync();

        // A batch create answers the other alternative: items and the parent operation.
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = Connect(cloud.TenantKey);
        var batch = await tenant.V1.Instances.PostAsync(new CreateInstanceRequest
        {
            Name = "many", FlavorId = cloud.FlavorId, ImageId = cloud.ImageId, SlaPlanId = cloud.PlanId, Count = 2,
        });
        Assert.Equal(2, batch!.Instances.Count);
        Assert.All(batch.Instances, i => Assert.Equal(cloud.TenantId, i.TenantId));
        var parent = await tenant.V1.Operations[batch.OperationId!.Value].GetAsync();
        Assert.Equal("instance.create", parent!.Kind);
        Assert.All(batch.Instances, i => Assert.NotEqual(batch.OperationId, i.OperationId));   // each has its own child operation
    }

    private IaasApiClient Connect(string apiKey) =>
        IaasApiConnection.Create(new Uri("http://localhost"), apiKey, new ContractCheck(api.Contract) { InnerHandler = api.Server.CreateHandler() });

    private static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, int timeoutMs = 15000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not done after {timeoutMs} ms: {value}");
            await Task.Delay(50);
        }
    }
}
