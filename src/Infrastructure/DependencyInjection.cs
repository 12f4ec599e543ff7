using IaasApi.Infrastructure.Snapshots;
using IaasApi.Infrastructure.Hosts;
using IaasApi.Infrastructure.Instances;
using IaasApi.Infrastructure.Operations;
using IaasApi.Infrastructure.Reservations;
using IaasApi.Infrastructure.VmMigrations;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Placement;
using IaasApi.Infrastructure.Hypervisors;
using IaasApi.Infrastructure.Hypervisors.Fake;
using IaasApi.Infrastructure.Placement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IaasApi.Infrastructure;

public static class DependencyInjection
{
    /// <summary>
    /// Database (PostgreSQL when <c>ConnectionStrings:Postgres</c> is set, else embedded SQLite), Hangfire storage and
    /// client, drivers, placement and claims. Every process calls this; only worker hosts add <see cref="AddIaasWorkers"/>.
    /// </summary>
    public static IServiceCollection AddIaasInfrastructure(this IServiceCollection services, IConfiguration config)
    {
        var options = config.GetSection(IaasOptions.Section).Get<IaasOptions>() ?? new IaasOptions();
        options.Migration.Validate();
        options.Health.Validate();
        var mode = DatabaseMode.From(config, options);
        if (mode.IsEmbedded)
        {
            options.FakeDriver.StateFile ??= Path.Combine(Path.GetDirectoryName(mode.SqlitePath)!, "fake-driver.json");
            Directory.CreateDirectory(Path.GetDirectoryName(mode.SqlitePath)!);
        }
        services.AddSingleton(mode);
        services.AddSingleton(Options.Create(options));
        services.TryAddSingleton(TimeProvider.System);

        if (mode.IsEmbedded)
        {
            services.AddDbContext<SqliteDbContext>(b => ((DbContextOptionsBuilder<SqliteDbContext>)b).UseEmbeddedSqlite(mode.SqliteConnectionString)
                .AddInterceptors(new Telemetry.EndingsInterceptor()));
            services.AddScoped<IaasDbContext>(sp => sp.GetRequiredService<SqliteDbContext>());
        }
        else
        {
            services.AddDbContext<PostgresDbContext>(b => ((DbContextOptionsBuilder<PostgresDbContext>)b).UsePostgres(mode.PostgresConnectionString!)
                .AddInterceptors(new Telemetry.EndingsInterceptor()));
            services.AddScoped<IaasDbContext>(sp => sp.GetRequiredService<PostgresDbContext>());
        }

        if (options.FakeDriver.RunsOnHosts)
        {
            HypervisorDrivers.RunOnHosts("fake");
            options.FakeDriver.OwnHosts = options.Workers.Hosts.Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => h.Trim()).ToList();
        }
        services.AddSingleton(options.FakeDriver);
        services.AddSingleton<FakeHypervisor>();
        services.AddSingleton<IHypervisorDriver, FakeHypervisorDriver>();
        services.AddSingleton(options.Qemu);
        // Real VMs: in the agent of qemu hosts, and in the control plane that places on them (both set Iaas:Qemu:Enabled).
        if (options.Qemu.Enabled) services.AddSingleton<IHypervisorDriver, Hypervisors.Qemu.QemuDriver>();
        services.AddSingleton<HypervisorDrivers>();

        services.AddSingleton(options.Placement.Filters is { Length: > 0 } order
            ? PlacementPipeline.WithFilterOrder(order)
            : PlacementPipeline.Default);
        services.AddSingleton<HostSnapshot>();
        services.AddSingleton<PlacementStats>();
        services.AddSingleton<CatalogCache>();
        services.AddScoped<CapacityClaims>();
        services.AddScoped<HostClaimer>();
        services.AddScoped<InstanceAdmission>();
        services.AddScoped<WaitingPlacement>();
        services.AddScoped<PlacementPreview>();
        services.AddScoped<VmMigrations.MigrationPlanner>();
        services.AddScoped<VmMigrations.MigrationStarter>();
        services.AddScoped<ReservationLauncher>();
        services.AddScoped<ReservationBook>();
        services.AddSingleton<TimelineCache>();
        services.AddScoped<ReservationClock>();
        services.AddScoped<BestEffortQueue>();
        services.AddScoped<JobDispatcher>();
        services.AddScoped<QueuePasses>();
        services.AddScoped<Agents.HostCalls>();
        services.TryAddSingleton(Agents.ServedQueues.None);
        services.AddScoped<OperationOutcomes>();
        services.AddScoped<Hosts.HostHeartbeat>();
        services.AddScoped<Hosts.HostMonitor>();
        services.AddScoped<Hosts.HostReconciler>();
        services.AddScoped<HostPowerManager>();
        services.AddSingleton<Hosts.HostMonitorClock>();

        services.AddHangfire((sp, hangfire) =>
        {
            hangfire.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                    .UseSimpleAssemblyNameTypeSerializer()
                    .UseRecommendedSerializerSettings();
            if (mode.IsEmbedded)
            {
                hangfire.UseInMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Long });
            }
            else
            {
                hangfire.UsePostgreSqlStorage(
                    b => b.UseNpgsqlConnection(mode.PostgresConnectionString),
                    new PostgreSqlStorageOptions
                    {
                        SchemaName = "hangfire",
                        QueuePollInterval = TimeSpan.FromMilliseconds(options.Jobs.QueuePollIntervalMilliseconds),
                        EnableLongPolling = true,
                        UseSlidingInvisibilityTimeout = true,
                        InvisibilityTimeout = TimeSpan.FromSeconds(Math.Max(1, options.Jobs.InvisibilityTimeoutSeconds)),
                        DistributedLockTimeout = TimeSpan.FromSeconds(Math.Max(1, options.Jobs.DistributedLockTimeoutSeconds)),
                        PrepareSchemaIfNecessary = true,
                    });
            }
            RetryPolicy.Apply(options.Jobs);
        });
        return services;
    }

    /// <summary>
    /// The Hangfire server and the jobs it runs: the shared <c>control</c> queue and/or the agent queues of the
    /// named hosts, plus the recurring tick. Used by src/Workers and, in embedded mode, by the Api process itself.
    /// </summary>
    public static IServiceCollection AddIaasWorkers(this IServiceCollection services, Func<IServiceProvider, IReadOnlyList<string>> queues)
    {
        services.AddScoped<Operations.IOperationJobs, Operations.OperationJobs>();
        services.AddSingleton<Operations.OperationKindRegistry>();
        services.AddInstanceOperations();
        services.AddSnapshotOperations();
        services.AddMigrationOperations();
        services.AddHostOperations();
        services.AddScoped<Operations.ITickJob, Operations.TickJob>();
        services.AddScoped<Operations.ITickStep>(sp => sp.GetRequiredService<OperationReconciler>());
        services.AddScoped<Operations.ITickStep>(sp => sp.GetRequiredService<Hosts.HostMonitor>());
        services.AddScoped<Operations.ITickStep>(sp => sp.GetRequiredService<ReservationClock>());
        services.AddScoped<Operations.ITickStep>(sp => sp.GetRequiredService<BestEffortQueue>());
        services.AddScoped<Operations.ITickStep, Operations.Retention>();
        services.AddScoped<IQueueJobs, QueueJobs>();
        services.AddScoped<OperationReconciler>();
        services.AddScoped<Agents.IAgentTaskJobs, Agents.AgentTaskJobs>();
        services.AddSingleton(sp => new Agents.ServedQueues(queues(sp)));   // computed once: a server's queues are fixed at its start
        services.AddHostedService<Operations.WorkerLiveness>();
        services.AddHangfireServer((sp, server) =>
        {
            var options = sp.GetRequiredService<IOptions<IaasOptions>>().Value;
            server.Queues = sp.GetRequiredService<Agents.ServedQueues>().All.ToArray();
            server.SchedulePollingInterval = TimeSpan.FromMilliseconds(options.Jobs.SchedulePollingIntervalMilliseconds);
            server.HeartbeatInterval = TimeSpan.FromSeconds(Math.Max(1, options.Jobs.ServerHeartbeatSeconds));
            server.ServerTimeout = options.Jobs.DeadServerAfter;
            server.ServerCheckInterval = TimeSpan.FromSeconds(Math.Max(1, options.Jobs.ServerHeartbeatSeconds));
            if (options.Jobs.WorkerCount is { } workers) server.WorkerCount = workers;
        });
        services.AddHostedService<RecurringJobsRegistration>();
        services.AddHostedService<Hosts.HeartbeatService>();
        services.AddHostedService<Hosts.HostReconcilerService>();
        services.AddHostedService<Hosts.GuestStatsService>();
        return services;
    }
}
