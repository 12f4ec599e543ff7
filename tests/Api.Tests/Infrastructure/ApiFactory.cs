using System.Net.Http.Headers;
using Hangfire;
using IaasApi.Infrastructure.Hypervisors.Fake;
using IaasApi.Infrastructure.Persistence;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

[assembly: AssemblyFixture(typeof(IaasApi.Api.Tests.Infrastructure.ApiFactory))]
// Hangfire's configuration is process-global: app-hosting tests run one at a time (DESIGN.md pitfalls).
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>
/// The whole control plane in-process: HTTP → real PostgreSQL → real Hangfire (Hangfire.PostgreSql, in-process server)
/// → the fake driver. One per test assembly; tests isolate themselves with their own zones, tenants and names.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminKey = "iaas_test-bootstrap-admin-key-0123456789abcdef";

    private TestPostgres? _postgres;

    /// <summary>The control plane's clock (starts at the wall clock, moves 1 ms per read; tests may advance it).</summary>
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };

    public string ConnectionString => _postgres?.ConnectionString ?? throw new InvalidOperationException("Not started.");

    public DroppingJobClient Jobs => Services.GetRequiredService<DroppingJobClient>();

    public FakeHypervisor Fake => Services.GetRequiredService<FakeHypervisor>();

    /// <summary>Errors logged by the control plane during the run.</summary>
    public ErrorLog Errors { get; } = new();

    /// <summary>The assembly's control plane (for diagnostics in helpers that only hold an HttpClient).</summary>
    public static ApiFactory? Current { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Current = this;
        _postgres = await TestPostgres.StartAsync();
        _ = Server;   // start the host: migrations run on start, the Hangfire server starts polling
    }

    protected override void ConfigureWebHost(IWebHostBuilder b)
    {
        b.UseSetting("ConnectionStrings:Postgres", ConnectionString);
        b.UseSetting("Iaas:MigrateOnStart", "true");
        b.UseSetting("Iaas:BootstrapAdminKey", AdminKey);
        b.UseSetting("Iaas:FakeDriver:SpawnMilliseconds", "20");
        b.UseSetting("Iaas:FakeDriver:DestroyMilliseconds", "5");
        b.UseSetting("Iaas:FakeDriver:PowerMilliseconds", "5");
        b.UseSetting("Iaas:FakeDriver:HostBootMilliseconds", "200");
        b.UseSetting("Iaas:Jobs:MaxAttempts", "3");
        b.UseSetting("Iaas:Migration:PollMilliseconds", "20");
        b.UseSetting("Iaas:Jobs:RetryDelaysSeconds:0", "1");
        b.UseSetting("Iaas:Jobs:RetryDelaysSeconds:1", "1");
        b.UseSetting("Iaas:Jobs:RetryDelaysSeconds:2", "1");
        b.UseSetting("Iaas:Jobs:QueuePollIntervalMilliseconds", "100");
        b.UseSetting("Iaas:Jobs:SchedulePollingIntervalMilliseconds", "250");
        b.UseSetting("Iaas:Jobs:WorkerCount", "10");
        b.UseSetting("Iaas:Reconciler:IntervalSeconds", "59");   // tests run the reconciler themselves
        b.UseSetting("Iaas:Reconciler:StuckAfterSeconds", "60");
        b.UseSetting("Iaas:Reconciler:MaxRedrives", "2");
        b.UseSetting("Logging:LogLevel:Default", "Warning");
        // Tests poll every 50 ms and race dozens of creators on one tenant key: far past a real cloud's budget (the
        // defaults, 20/s per tenant key). RateLimitTests runs a child api with small budgets instead.
        foreach (var bucket in new[] { "Tenant", "Admin", "Anonymous" })
        {
            b.UseSetting($"Iaas:RateLimits:{bucket}PermitsPerSecond", "100000");
            b.UseSetting($"Iaas:RateLimits:{bucket}Burst", "100000");
        }
        b.UseSetting("Iaas:RateLimits:TenantMutationsPerSecond", "100000");
        b.UseSetting("Iaas:RateLimits:TenantMutationBurst", "100000");
        b.ConfigureLogging(l => l.AddProvider(Errors));
        b.ConfigureTestServices(s =>
        {
            s.RemoveAll<TimeProvider>();
            s.AddSingleton<TimeProvider>(Clock);
            var original = s.Single(d => d.ServiceType == typeof(IBackgroundJobClient));
            s.Remove(original);
            s.AddSingleton(sp => new DroppingJobClient((IBackgroundJobClient)original.ImplementationFactory!(sp), sp));
            s.AddSingleton<IBackgroundJobClient>(sp => sp.GetRequiredService<DroppingJobClient>());
        });
    }

    /// <summary>
    /// What the control plane was busy with (for a wait's timeout message): Hangfire's jobs in progress and enqueued per
    /// queue, the running operations by kind with their oldest's age, the clock.
    /// </summary>
    public async Task<string> DescribeBacklogAsync()
    {
        try
        {
            var monitor = JobStorage.Current.GetMonitoringApi();
            var processing = monitor.ProcessingJobs(0, 50).Select(j => $"{j.Value.Job?.Method.Name}@{j.Value.StartedAt:HH:mm:ss}");
            var queues = monitor.Queues().Select(q => $"{q.Name}: {q.Length}");
            var running = await WithDbAsync(db => db.Operations.AsNoTracking().Where(o => o.Status == Domain.Operations.OperationStatus.Running)
                .GroupBy(o => o.Kind).Select(g => new { g.Key, N = g.Count(), Oldest = g.Min(o => o.CreatedAt) }).ToListAsync());
            var now = Clock.GetUtcNow();
            return $"clock {now:O}; jobs processing ({monitor.ProcessingCount()}): {string.Join(", ", processing)}; enqueued: {string.Join(", ", queues)}; " +
                   $"running operations: {string.Join(", ", running.Select(r => $"{r.Key} × {r.N} (oldest {(now - r.Oldest).TotalSeconds:0} s)"))}";
        }
        catch (Exception ex)
        {
            return $"(backlog unknown: {ex.Message})";
        }
    }

    /// <summary>The OpenAPI document this control plane serves, compiled for <see cref="ContractCheck"/> (read once).</summary>
    public OpenApiContract Contract => _contract ??= new OpenApiContract(CreateClient().GetStringAsync("/swagger/v1/swagger.json").GetAwaiter().GetResult());

    private OpenApiContract? _contract;

    /// <summary>A client whose every answer is checked against the served OpenAPI document (<see cref="ContractCheck"/>).</summary>
    public HttpClient Client(string? apiKey)
    {
        var client = CreateDefaultClient(new Uri("http://localhost"), new ContractCheck(Contract));
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public HttpClient Admin() => Client(AdminKey);

    /// <summary>Direct database access for assertions and for arranging states HTTP cannot reach (a lost job).</summary>
    public async Task<T> WithDbAsync<T>(Func<IaasDbContext, Task<T>> work)
    {
        using var scope = Services.CreateScope();
        return await work(scope.ServiceProvider.GetRequiredService<IaasDbContext>());
    }

    public async Task WithScopeAsync(Func<IServiceProvider, Task> work)
    {
        using var scope = Services.CreateScope();
        await work(scope.ServiceProvider);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}
