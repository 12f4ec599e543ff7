using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Domain.Instances;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Api.Tests;

/// <summary>The database is the arbiter: no request, however concurrent, over-allocates a host or a quota.</summary>
public sealed class RaceTests(ApiFactory api)
{
    [Fact]
    public async Task ConcurrentCreates_AdmitExactlyTheCapacity_AndNeverOverAllocate()
    {
        // 5 hosts × 8 GiB, flavor 4 GiB: room for exactly 10 instances.
        var cloud = await api.SeedAsync(hosts: 5, hostVcpus: 64, hostMemoryMiB: 8192, flavorVcpus: 1, flavorMemoryMiB: 4096);
        var tenant = api.Client(cloud.TenantKey);

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            tenant.PostAsJsonAsync("/v1/instances", cloud.CreateBody($"race-{i}"))));

        var accepted = responses.Where(r => r.StatusCode == HttpStatusCode.Accepted).ToList();
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.Conflict).ToList();
        Assert.Equal(10, accepted.Count);
        Assert.Equal(30, refused.Count);
        foreach (var r in refused)
        {
            var problem = await r.ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
            var eliminations = problem["eliminations"]!.AsArray();
            Assert.NotEmpty(eliminations);
            Assert.All(eliminations, e => Assert.True(e!["before"]!.GetValue<int>() >= e["after"]!.GetValue<int>()));
            Assert.Equal(0, eliminations[^1]!["after"]!.GetValue<int>());
        }

        var ids = new List<Guid>();
        foreach (var r in accepted) ids.Add((await r.ExpectAsync(HttpStatusCode.Accepted)).Id());
        foreach (var id in ids) await tenant.WaitForStatusAsync(id, "running");

        await AssertAllocationMatchesInstancesAsync(cloud);
        var usage = (await api.Admin().GetJson($"/v1/tenants/{cloud.TenantId}"))["usage"]!;
        Assert.Equal(10, usage["instances"]!.GetValue<int>());
        Assert.Equal(40960, usage["memoryMiB"]!.GetValue<int>());
    }

    [Fact]
    public async Task ConcurrentCreates_NeverExceedTheQuota()
    {
        var cloud = await api.SeedAsync(hosts: 4, hostVcpus: 64, hostMemoryMiB: 65536, flavorVcpus: 1, flavorMemoryMiB: 1024,
                                        quotas: new { instances = 5, vcpus = -1, memoryMiB = -1 });
        var tenant = api.Client(cloud.TenantKey);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => tenant.PostAsJsonAsync("/v1/instances", cloud.CreateBody())));

        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        foreach (var r in responses.Where(r => r.StatusCode != HttpStatusCode.Accepted))
        {
            var problem = await r.ExpectProblemAsync(HttpStatusCode.Conflict, "quota-exceeded");
            Assert.Contains("instances", problem["exceeded"]!.AsArray().Select(e => e!.GetValue<string>()));
        }
        var usage = (await api.Admin().GetJson($"/v1/tenants/{cloud.TenantId}"))["usage"]!;
        Assert.Equal(5, usage["instances"]!.GetValue<int>());
        await AssertAllocationMatchesInstancesAsync(cloud);
    }

    [Fact]
    public async Task ConcurrentActions_OnOneInstance_LetExactlyOneWin()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => i % 2 == 0
            ? tenant.PostAsync($"/v1/instances/{id}/actions/stop", null)
            : tenant.PostAsync($"/v1/instances/{id}/actions/reboot", null)));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Accepted),
            r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var trail = await tenant.GetJson($"/v1/instances/{id}/actions");
        Assert.Single(trail["items"]!.AsArray(), a => a!["fromStatus"]?.GetValue<string>() == "running" && a!.Str("toStatus") is "stopping" or "rebooting");
    }

    [Fact]
    public async Task ConcurrentDeletes_AllAnswer202_AndReleaseOnce()
    {
        var cloud = await api.SeedAsync(hosts: 1, flavorMemoryMiB: 2048);
        var tenant = api.Client(cloud.TenantKey);
        var id = (await tenant.CreateInstanceAsync(cloud)).Id();
        await tenant.WaitForStatusAsync(id, "running");

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => tenant.DeleteAsync($"/v1/instances/{id}")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        await tenant.WaitForStatusAsync(id, "deleted");
        var deletes = (await tenant.GetJson($"/v1/operations?resourceId={id}&kind=instance.delete"))["items"]!.AsArray();
        Assert.Single(deletes);
        await AssertAllocationMatchesInstancesAsync(cloud);
    }

    [Fact]
    public async Task ConcurrentCreatesAndDeletes_KeepAllocationEqualToLiveInstances()
    {
        var cloud = await api.SeedAsync(hosts: 2, hostVcpus: 64, hostMemoryMiB: 16384, flavorVcpus: 1, flavorMemoryMiB: 2048);
        var tenant = api.Client(cloud.TenantKey);
        var first = new List<Guid>();
        for (var i = 0; i < 6; i++) first.Add((await tenant.CreateInstanceAsync(cloud)).Id());
        foreach (var id in first) await tenant.WaitForStatusAsync(id, "running");

        var work = first.Select(id => tenant.DeleteAsync($"/v1/instances/{id}"))
            .Concat(Enumerable.Range(0, 20).Select(_ => tenant.PostAsJsonAsync("/v1/instances", cloud.CreateBody())));
        var responses = await Task.WhenAll(work);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict,
            $"{r.StatusCode}: {string.Join("\n", api.Errors.Entries)}"));

        await WaitUntilSettledAsync(cloud);
        await AssertAllocationMatchesInstancesAsync(cloud);
    }

    /// <summary>Every host's allocated usage equals the sum of the flavors of the instances that hold a claim on it.</summary>
    private async Task AssertAllocationMatchesInstancesAsync(Cloud cloud)
    {
        var admin = api.Admin();
        foreach (var hostId in cloud.HostIds)
        {
            var host = await admin.GetJson($"/v1/hosts/{hostId}");
            var claimed = await api.WithDbAsync(db => db.Instances.AsNoTracking()
                .Where(i => i.HostId == hostId).Select(i => i.Resources).ToListAsync());
            var allocated = host["allocated"]!;
            Assert.Equal(claimed.Sum(r => r.Vcpus), allocated["vcpus"]!.GetValue<int>());
            Assert.Equal(claimed.Sum(r => r.MemoryMiB), allocated["memoryMiB"]!.GetValue<int>());
            Assert.Equal(claimed.Sum(r => r.DiskGiB), allocated["diskGiB"]!.GetValue<int>());
            Assert.Equal(claimed.Count, host["instanceCount"]!.GetValue<int>());
            Assert.True(allocated["memoryMiB"]!.GetValue<int>() <= host["usable"]!["memoryMiB"]!.GetValue<int>());
        }
    }

    private async Task WaitUntilSettledAsync(Cloud cloud)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var busy = await api.WithDbAsync(db => db.Instances.AsNoTracking()
                .Where(i => i.TenantId == cloud.TenantId).Select(i => i.Status).ToListAsync());
            if (busy.All(s => !InstanceTransitions.IsTransitional(s))) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("Instances did not settle.");
    }
}
