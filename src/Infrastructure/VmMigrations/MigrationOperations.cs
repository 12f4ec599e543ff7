using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Infrastructure.VmMigrations;

/// <summary>The operation kinds that move VMs — one migration, a host's drain, a zone's plan — and what carries each.</summary>
public static class MigrationOperations
{
    public static IServiceCollection AddMigrationOperations(this IServiceCollection services)
    {
        services.AddScoped<IMigrationJobs, MigrationJobs>();
        services.AddScoped<Hosts.IHostDownWork, MigrationsOnDownHost>();
        services.AddScoped<DrainJobs>();
        services.AddScoped<PlanJobs>();
        services.AddOperationKind<IMigrationJobs>(OperationKinds.InstanceMigrate, (j, id, ct) => j.RunAsync(id, ct),
                                                  (j, op, e, ct) => j.GiveUpAsync(op.Id, e.Detail!, ct));
        services.AddOperationKind<DrainJobs>(OperationKinds.HostDrain, (j, id, ct) => j.RunAsync(id, ct));
        services.AddOperationKind<PlanJobs>(OperationKinds.ZoneConsolidate, (j, id, ct) => j.RunAsync(id, ct));
        services.AddOperationKind<PlanJobs>(OperationKinds.ZoneRebalance, (j, id, ct) => j.RunAsync(id, ct));
        return services;
    }
}
