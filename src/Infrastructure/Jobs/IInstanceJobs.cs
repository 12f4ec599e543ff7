namespace IaasApi.Infrastructure.Jobs;

/// <summary>
/// The jobs that carry instance operations. Arguments are ids; every job checks the operation and instance first
/// and returns if the work is already done, so a job may run twice (Hangfire retry, reconciler re-drive).
/// Retries come from the global filter configured at start-up (<c>Iaas:Jobs:RetryDelaysSeconds</c>).
/// </summary>
public interface IInstanceJobs
{
    Task ProvisionAsync(Guid operationId, CancellationToken ct);
    Task PowerAsync(Guid operationId, CancellationToken ct);
    Task DeleteAsync(Guid operationId, CancellationToken ct);
}
