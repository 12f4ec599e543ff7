using IaasApi.Domain.Operations;

namespace IaasApi.Infrastructure.Operations;

public static class ParentOperations
{
    /// <summary>
    /// A batch's parent operation follows its children: running while any runs, then succeeded if all succeeded,
    /// failed otherwise. Children finishing at once may both try; the version check lets one win.
    /// </summary>
    public static async Task RollUpAsync(IaasDbContext db, Guid? parentId, CancellationToken ct)
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
}
