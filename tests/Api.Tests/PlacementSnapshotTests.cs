using System.Net;
using System.Net.Http.Json;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Infrastructure.Placement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Api.Tests;

/// <summary>
/// The in-memory host snapshot against the database: a refused request must leave it exactly as it found it, and after
/// any mix of accepted and refused batches (and deletes) it holds what the host rows hold once refreshed.
/// </summary>
public sealed class PlacementSnapshotTests(ApiFactory api, ITestOutputHelper output)
{
    private HostSnapshot Snapshot => api.Services.GetRequiredService<HostSnapshot>();

    [Fact]
    public async Task RefusedBatch_LeavesNoPhantomClaims_InTheSnapshot()
    {
        // Three hosts with room for two large instances each; a batch of 50 claims six before it is refused.
        var cloud = await api.SeedAsync(hosts: 3, hostVcpus: 16, hostMemoryMiB: 32768, flavorVcpus: 8, flavorMemoryMiB: 16384);
        var tenant = api.Client(cloud.TenantKey);
        var refused = await tenant.PostAsJsonAsync("/v1/instances", cloud.CreateBody(count: 50));
        await refused.ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");

        await AssertSnapshotMatchesDatabaseAsync(cloud, "right after the refusal");
        await RefreshAsync();
        await AssertSnapshotMatchesDatabaseAsync(cloud, "after a refresh");

        // The reproduction: a single instance of the same flavor fits on any of the (empty) hosts.
        var single = await tenant.PostAsJsonAsync("/v1/instances", cloud.CreateBody());
        await single.ExpectAsync(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task Snapshot_EqualsTheDatabase_AfterRandomAcceptedAndRefusedBatches()
    {
        var ct = TestContext.Current.CancellationToken;
        var cloud = await api.SeedAsync(hosts: 4, hostVcpus: 16, hostMemoryMiB: 32768, flavorVcpus: 4, flavorMemoryMiB: 8192);
        var tenant = api.Client(cloud.TenantKey);
        var random = new Random(1207);
        var live = new List<Guid>();
        int accepted = 0, refusals = 0, deletes = 0;
        for (var step = 0; step < 40; step++)
        {
            if (live.Count > 0 && random.NextDouble() < 0.25)
            {
                var victim = live[random.Next(live.Count)];
                live.Remove(victim);
                (await tenant.DeleteAsync($"/v1/instances/{victim}", ct)).EnsureSuccessStatusCode();
                await tenant.WaitForStatusAsync(victim, "deleted");
                deletes++;
                // A delete's release committed elsewhere (a job): the snapshot learns it by refreshing.
                await RefreshAsync();
                await AssertSnapshotMatchesDatabaseAsync(cloud, $"step {step}: after a delete");
                continue;
            }
            var count = random.Next(1, 9);
            var response = await tenant.PostAsJsonAsync("/v1/instances", cloud.CreateBody(count: count), ct);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                var body = await response.ExpectAsync(HttpStatusCode.Accepted);
                live.AddRange(count == 1 ? [body.Id()] : body["items"]!.AsArray().Select(i => i!.Id()));
                accepted++;
            }
            else
            {
                await response.ExpectProblemAsync(HttpStatusCode.Conflict, "no-valid-host");
                refusals++;
            }
            await AssertSnapshotMatchesDatabaseAsync(cloud, $"step {step}: after a batch of {count} ({(int)response.StatusCode})");
        }
        output.WriteLine($"{accepted} accepted, {refusals} refused, {deletes} deletes; the snapshot matched the database after each");
        Assert.True(refusals > 0 && accepted > 0, $"the sequence must mix accepted ({accepted}) and refused ({refusals}) batches");
    }

    private Task RefreshAsync() => api.WithDbAsync(db => Snapshot.GetAsync(db, CancellationToken.None, fresh: true).AsTask());

    private async Task AssertSnapshotMatchesDatabaseAsync(Cloud cloud, string when)
    {
        var rows = await api.WithDbAsync(db => db.Hosts.AsNoTracking().Where(h => cloud.HostIds.Contains(h.Id)).ToListAsync());
        var seen = Snapshot.Current.Where(h => cloud.HostIds.Contains(h.Id)).ToDictionary(h => h.Id);
        foreach (var row in rows)
        {
            Assert.True(seen.TryGetValue(row.Id, out var candidate), $"{when}: host {row.Name} is missing from the snapshot");
            Assert.True(candidate.Allocated == row.Allocated + row.IdleReserved && candidate.InstanceCount == row.InstanceCount,
                $"{when}: host {row.Name}: the snapshot holds {candidate.Allocated} in {candidate.InstanceCount} instance(s), " +
                $"the database {row.Allocated + row.IdleReserved} in {row.InstanceCount}");
        }
    }
}
