using IaasApi.Domain.Operations;
using IaasApi.Infrastructure.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Infrastructure.Snapshots;

/// <summary>A snapshot's operation kinds (on its instance's host's queue), and what carries each.</summary>
public static class SnapshotOperations
{
    public static IServiceCollection AddSnapshotOperations(this IServiceCollection services)
    {
        services.AddScoped<SnapshotJobs>();
        services.AddOperationKind<SnapshotJobs>(OperationKinds.SnapshotCreate, (j, id, ct) => j.CreateAsync(id, ct));
        services.AddOperationKind<SnapshotJobs>(OperationKinds.SnapshotDelete, (j, id, ct) => j.DeleteAsync(id, ct));
        return services;
    }
}
