using IaasApi.Domain.Common;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Tenancy;
using IaasApi.Infrastructure.Persistence;
using IaasApi.Infrastructure.Placement;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Infrastructure.Jobs;

/// <summary>
/// How instance operations end, shared by the jobs and the reconciler so a give-up and a permanent driver failure
/// leave exactly the same state: the instance's status, the capacity claim, the operation and its parent.
/// </summary>
public sealed class OperationOutcomes(IaasDbContext db, CapacityClaims claims)
{
    /// <summary>
    /// The work failed for good. Create → instance <c>error</c>, host capacity released. Start/stop/reboot → the
    /// instance returns to its previous stable status (the VM did not change). Delete → <c>error</c>, claim kept
    /// (the VM may still exist). One transaction.
    /// </summary>
    public async Task FailAsync(Operation op, Instance instance, OperationError error, string actor, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        switch (op.Kind)
        {
            case OperationKinds.InstanceCreate when instance.Status == InstanceStatus.Building:
                instance.Fail(error.Detail ?? error.Title, actor, op.Id, now);
                await ReleaseHostClaimAsync(instance, ct);
                break;
            case OperationKinds.InstanceStop when instance.Status == InstanceStatus.Stopping:
            case OperationKinds.InstanceReboot when instance.Status == InstanceStatus.Rebooting:
                instance.MoveTo(InstanceStatus.Running, VerbOf(op) + "-failed", actor, op.Id, now, error.Detail);
                break;
            case OperationKinds.InstanceStart when instance.Status == InstanceStatus.Starting:
                instance.MoveTo(InstanceStatus.Stopped, "start-failed", actor, op.Id, now, error.Detail);
                break;
            case OperationKinds.InstanceDelete when instance.Status == InstanceStatus.Deleting:
                instance.Fail(error.Detail ?? error.Title, actor, op.Id, now);
                break;
        }
        op.Fail(error, now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await RollUpParentAsync(op.ParentId, ct);
    }

    /// <summary>Deletion confirmed by the driver: release capacity and quota, mark deleted, in one transaction.</summary>
    public async Task CompleteDeleteAsync(Operation op, Instance instance, string actor, CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Lock order everywhere: tenant row, then host rows (admission claims in that order), so no two
        // transactions wait on each other in a cycle.
        await claims.ReleaseQuotaAsync(instance.TenantId, Usage.Of(instance.Resources, 1), ct);
        await ReleaseHostClaimAsync(instance, ct);
        instance.MarkDeleted(actor, op.Id, now);
        op.Succeed(now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    public async Task ReleaseHostClaimAsync(Instance instance, CancellationToken ct)
    {
        if (!instance.ResourcesClaimed || instance.HostId is not { } hostId) return;
        await claims.ReleaseHostAsync(hostId, instance.Resources, ct);
        instance.ReleaseResources();
    }

    /// <summary>
    /// A batch's parent operation follows its children: running while any runs, then succeeded if all succeeded,
    /// failed otherwise. Children finishing at once may both try; the version check lets one win.
    /// </summary>
    public async Task RollUpParentAsync(Guid? parentId, CancellationToken ct)
    {
        if (parentId is not { } id) return;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var parent = await db.Operations.SingleOrDefaultAsync(o => o.Id == id, ct);
            if (parent is null || parent.IsFinished) return;
            var children = await db.Operations.AsNoTracking().Where(o => o.ParentId == id)
                .Select(o => new { o.Status, o.Progress, o.Error }).ToListAsync(ct);
            if (children.Count == 0) return;
            var now = db.Clock.GetUtcNow();
            if (children.All(c => c.Status != OperationStatus.Running))
            {
                var failed = children.Count(c => c.Status != OperationStatus.Succeeded);
                if (failed == 0) parent.Succeed(now);
                else parent.Fail(new OperationError(ProblemTypes.Uri(ProblemTypes.HypervisorError),
                    $"{failed} of {children.Count} instances could not be provisioned.",
                    children.FirstOrDefault(c => c.Error is not null)?.Error?.Detail), now);
            }
            else
            {
                parent.ReportProgress((int)children.Average(c => c.Progress));
            }
            try
            {
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateConcurrencyException)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private static string VerbOf(Operation op) => op.Kind[(op.Kind.IndexOf('.') + 1)..];
}
