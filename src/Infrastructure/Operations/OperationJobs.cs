using Hangfire;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Infrastructure.Operations;

/// <summary>
/// The one Hangfire job that carries operations: the operation's id (first: what a job is about) and its kind, which
/// picks the registered handler. Retries come from the global filter (<c>Iaas:Jobs:RetryDelaysSeconds</c>).
/// </summary>
public interface IOperationJobs
{
    [JobDisplayName("{1} {0}")]
    Task RunAsync(Guid operationId, string kind, CancellationToken ct);
}

public sealed class OperationJobs(IServiceProvider services, OperationKindRegistry kinds) : IOperationJobs
{
    public Task RunAsync(Guid operationId, string kind, CancellationToken ct) => kinds.Get(kind).Run(services, operationId, ct);
}
