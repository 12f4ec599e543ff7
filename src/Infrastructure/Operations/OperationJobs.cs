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
    /// <summary>Runs one operation's work: a span (<c>operation &lt;kind&gt;</c>) around it, under the request's trace when it started one.</summary>
    public async Task RunAsync(Guid operationId, string kind, CancellationToken ct)
    {
        using var activity = Telemetry.IaasTelemetry.Source.StartActivity($"operation {kind}");
        activity?.SetTag("iaas.operation.id", operationId);
        activity?.SetTag("iaas.operation.kind", kind);
        await kinds.Get(kind).Run(services, operationId, ct);
    }
}
