using IaasApi.Infrastructure.Operations;
using IaasApi.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Infrastructure.Operations;

/// <summary>An Idempotency-Key is remembered 24 hours (API.md); older records go at the tick.</summary>
public sealed class IdempotencyRetention(IaasDbContext db) : ITickStep
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    public int Order => 900;

    public Task RunAsync(CancellationToken ct)
    {
        var expired = db.Clock.GetUtcNow() - Window;
        return db.IdempotencyRecords.Where(r => r.CreatedAt < expired).ExecuteDeleteAsync(ct);
    }
}
