using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Infrastructure.Instances;

/// <summary>The operation kinds an instance's life cycle is made of, and what carries each.</summary>
public static class InstanceOperations
{
    public static IServiceCollection AddInstanceOperations(this IServiceCollection services)
    {
        services.AddScoped<InstanceJobs>();
        services.AddOperationKind<InstanceJobs>(OperationKinds.InstanceCreate, (j, id, ct) => j.ProvisionAsync(id, ct), (j, op, e, ct) => j.GiveUpAsync(op, e, ct));
        foreach (var power in new[] { OperationKinds.InstanceStart, OperationKinds.InstanceStop, OperationKinds.InstanceReboot, OperationKinds.InstanceSuspend,
                                      OperationKinds.InstanceResume, OperationKinds.InstanceShelve, OperationKinds.InstanceRestore })
            services.AddOperationKind<InstanceJobs>(power, (j, id, ct) => j.PowerAsync(id, ct), (j, op, e, ct) => j.GiveUpAsync(op, e, ct));
        services.AddOperationKind<InstanceJobs>(OperationKinds.InstanceDelete, (j, id, ct) => j.DeleteAsync(id, ct), (j, op, e, ct) => j.GiveUpAsync(op, e, ct));
        return services;
    }
}
