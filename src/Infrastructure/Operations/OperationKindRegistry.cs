using IaasApi.Domain.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Infrastructure.Operations;

/// <summary>
/// Which code carries each operation kind: a feature registers its kinds (<see cref="OperationServices.AddOperationKind{THandler}"/>)
/// as drivers register with <c>HypervisorDrivers</c>; the runner and the reconciler look them up and know no feature.
/// </summary>
public sealed class OperationKindRegistry(IEnumerable<OperationKind> kinds)
{
    private readonly Dictionary<string, OperationKind> _kinds = kinds.ToDictionary(k => k.Name, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Kinds => _kinds.Keys;

    public OperationKind Get(string kind) =>
        _kinds.GetValueOrDefault(kind) ?? throw new InvalidOperationException($"No handler carries operations of kind '{kind}'.");
}

/// <summary>One operation kind: the job's work, and how the reconciler ends it once its re-drives are spent.</summary>
/// <param name="Run">Runs the operation (idempotent: a job may run twice — a Hangfire retry, a re-drive).</param>
/// <param name="GiveUp">
/// Ends an operation given up on, in its feature's terms (a migration ends on its source, an instance's work says so on
/// the instance); null: the operation alone is failed.
/// </param>
public sealed record OperationKind(
    string Name,
    Func<IServiceProvider, Guid, CancellationToken, Task> Run,
    Func<IServiceProvider, Operation, OperationError, CancellationToken, Task>? GiveUp);

public static class OperationServices
{
    /// <summary>Registers <paramref name="kind"/>: its jobs run <paramref name="run"/> on a scoped <typeparamref name="THandler"/>.</summary>
    public static IServiceCollection AddOperationKind<THandler>(this IServiceCollection services, string kind,
        Func<THandler, Guid, CancellationToken, Task> run,
        Func<THandler, Operation, OperationError, CancellationToken, Task>? giveUp = null) where THandler : notnull
    {
        services.AddSingleton(new OperationKind(kind,
            (sp, id, ct) => run(sp.GetRequiredService<THandler>(), id, ct),
            giveUp is null ? null : (sp, op, error, ct) => giveUp(sp.GetRequiredService<THandler>(), op, error, ct)));
        return services;
    }
}
