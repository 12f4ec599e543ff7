namespace IaasApi.Infrastructure.Operations;

/// <summary>
/// Records kept for a while, then deleted at the tick: an Idempotency-Key's record 24 hours (API.md), an agent task a
/// week (what each migration asked of the hosts' agents, for whoever investigates one).
/// </summary>
public sealed class Retention(IaasDbContext db) : ITickStep
{
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);
    public static readonly TimeSpan AgentTasks = TimeSpan.FromDays(7);

    public int Order => 900;

    public async Task RunAsync(CancellationToken ct)
    {
        var now = db.Clock.GetUtcNow();
        var expired = now - IdempotencyWindow;
        await db.IdempotencyRecords.Where(r => r.CreatedAt < expired).ExecuteDeleteAsync(ct);
        var answered = now - AgentTasks;
        await db.AgentTasks.Where(t => t.CreatedAt < answered).ExecuteDeleteAsync(ct);
    }
}
