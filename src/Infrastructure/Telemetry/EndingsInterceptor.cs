using IaasApi.Domain.Migrations;
using IaasApi.Domain.Operations;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IaasApi.Infrastructure.Telemetry;

/// <summary>
/// Sees the saves that end an operation or a migration (its status changes to a final one) and, once the save has
/// committed, records their times on <see cref="IaasTelemetry"/>. One per context instance (a scope's), so what it
/// holds between a save's start and its end is that save's. Changes are already detected: <c>IaasDbContext</c>'s save
/// detects them before it saves (its version stamp), so this reads the tracker as it stands.
/// </summary>
internal sealed class EndingsInterceptor : SaveChangesInterceptor
{
    private List<Operation> _operations = [];
    private List<Migration> _migrations = [];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
                                                                         CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Report();
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Report();
        return ValueTask.FromResult(result);
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => (_operations, _migrations) = ([], []);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        (_operations, _migrations) = ([], []);
        return Task.CompletedTask;
    }

    private void Collect(DbContext? context)
    {
        if (context is null) return;
        _operations = context.ChangeTracker.Entries<Operation>()
            .Where(e => e.State == EntityState.Modified && e.Property(o => o.Status).IsModified
                        && e.Entity.Status is OperationStatus.Succeeded or OperationStatus.Failed or OperationStatus.Cancelled)
            .Select(e => e.Entity).ToList();
        _migrations = context.ChangeTracker.Entries<Migration>()
            .Where(e => e.State == EntityState.Modified && e.Property(m => m.Status).IsModified
                        && e.Entity.Status is MigrationStatus.Completed or MigrationStatus.Failed or MigrationStatus.Cancelled)
            .Select(e => e.Entity).ToList();
    }

    private void Report()
    {
        if (_operations.Count > 0 || _migrations.Count > 0) IaasTelemetry.Ended(_operations, _migrations);
        (_operations, _migrations) = ([], []);
    }
}
