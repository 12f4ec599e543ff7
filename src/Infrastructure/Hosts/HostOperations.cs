using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Infrastructure.Hosts;

/// <summary>A host's own operation kinds (on its queue: its agent does the work), and what carries each.</summary>
public static class HostOperations
{
    public static IServiceCollection AddHostOperations(this IServiceCollection services)
    {
        services.AddScoped<HostJobs>();
        services.AddOperationKind<HostJobs>(OperationKinds.HostFence, (j, id, ct) => j.FenceAsync(id, ct));
        services.AddOperationKind<HostJobs>(OperationKinds.HostPowerOn, (j, id, ct) => j.PowerOnAsync(id, ct));
        services.AddOperationKind<HostJobs>(OperationKinds.HostPowerOff, (j, id, ct) => j.PowerOffAsync(id, ct));
        return services;
    }
}
