using System.Diagnostics;
using System.Text;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// The fault suite's database restart (docs/reliability.md): the production layout (api + three agents of fake hosts)
/// on a PostgreSQL cluster of its own, under a steady create/delete/power/migrate load, while the database is stopped
/// for <c>IAAS_FAULT_OUTAGE_SECONDS</c> (10) and started again. While it is down the api answers 503 unavailable with
/// Retry-After — never another 5xx, never no answer within the client's 10 s timeout; afterwards every accepted request
/// reaches a terminal state and nothing is lost or double-booked (the same checks as the worker kills).
/// </summary>
public sealed class PostgresRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "iaas_fault-suite-admin-key-0123456789abcdef";
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("IAAS_FAULT_OUTAGE_SECONDS"), out var s) ? s : 10);

    private readonly string _workDir = Directory.CreateTempSubdirectory("iaas-pg-restart-").FullName;
    private LocalCluster? _cluster;
    private Fleet? _fleet;

    public async ValueTask InitializeAsync() => _cluster = await LocalCluster.StartAsync(_workDir);

    [Fact]
    public async Task DatabaseStoppedUnderLoad_Answers503WithRetryAfter_AndEveryAcceptedRequestEndsAfterwards()
    {
        var watch = Stopwatch.StartNew();
        _fleet = await Fleet.StartAsync(_cluster!.ConnectionString, AdminKey, agents: 3, hostsPerAgent: 2, FaultLoad.FastSettings(), _workDir);
        var traffic = new FaultLoad(_fleet, AdminKey, ClientTimeout);
        var cloud = await traffic.SeedAsync(_fleet.Api.Client(AdminKey));

        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(i => Task.Run(() => traffic.ClientAsync(cloud, new Random(1206 + i), stop.Token))).ToList();
        await Task.Delay(TimeSpan.FromSeconds(8));
        var down = DateTimeOffset.UtcNow;
        await _cluster.StopAsync();
        await Task.Delay(Outage);
        await _cluster.StartAgainAsync();
        var up = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var settled = await FleetChecks.SettleAsync(_cluster.ConnectionString, _fleet, TimeSpan.FromSeconds(120));
        var report = await FleetChecks.AssertInvariantsAsync(_cluster.ConnectionString, _fleet);

        var answers = traffic.Answers.ToList();
        var during = answers.Where(a => a.At >= down && a.At < up).ToList();
        var after = answers.Where(a => a.At >= up).ToList();
        var firstSuccess = after.Where(a => a.Code is >= 200 and < 300).Select(a => a.At + a.Took).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
        var unavailable = during.Count(a => a.Code == 503);
        var lines = new StringBuilder();
        lines.AppendLine($"PostgreSQL stopped for {(up - down).TotalSeconds:F1} s under 4 clients' load (production layout: api + 3 agents).");
        lines.AppendLine($"Asked while it was down: {during.Count} — {Outcomes(during)}; every 503 with Retry-After: {during.Where(a => a.Code == 503).All(a => a.RetryAfter)}; " +
                         $"slowest answer {(during.Count > 0 ? during.Max(a => a.Took).TotalSeconds : 0):F1} s (client timeout {ClientTimeout.TotalSeconds:0} s).");
        lines.AppendLine($"After it was back: {after.Count} — {Outcomes(after)}; first success {(firstSuccess - up).TotalSeconds:F1} s after the start.");
        lines.AppendLine($"All requests: {traffic.Summary()}.");
        lines.AppendLine($"Settled {settled.TotalSeconds:F0} s after the load; whole run {watch.Elapsed.TotalSeconds:F0} s.");
        lines.Append(report);
        output.WriteLine(lines.ToString());
        FleetChecks.WriteArtifact("postgres-restart.txt", lines.ToString());

        Assert.True(traffic.ServerErrors.IsEmpty, $"Other 5xx, or no answer in time:\n{string.Join("\n", traffic.ServerErrors.Take(10))}");
        Assert.True(unavailable > 0, $"Nothing was asked while the database was down: {Outcomes(during)}");
        Assert.All(during.Where(a => a.Code == 503), a => Assert.True(a.RetryAfter, $"{a.What}: 503 without Retry-After"));
        Assert.True(firstSuccess - up < TimeSpan.FromSeconds(10), $"No success within 10 s of the database's return: {Outcomes(after)}");
    }

    private static string Outcomes(IEnumerable<Answer> answers) =>
        string.Join(", ", answers.GroupBy(a => a.Code == 0 ? "no answer" : $"{a.Code}{(a.Slug is null ? "" : $" {a.Slug}")}")
            .OrderBy(g => g.Key).Select(g => $"{g.Key} × {g.Count()}"));

    public async ValueTask DisposeAsync()
    {
        _fleet?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
        try { Directory.Delete(_workDir, recursive: true); } catch (Exception) { }
    }
}
