using IaasApi.Infrastructure.Operations;
using IaasApi.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Infrastructure.Agents;

/// <summary>Agent tasks are kept a week (what each migration asked of the hosts' agents, for whoever investigates one).</summary>
public sealed class AgentTaskRetention(IaasDbContext db) : ITickStep
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    public int Order => 900;

    public Task RunAsync(CancellationToken ct)
    {
        var answered = db.Clock.GetUtcNow() - Retention;
        return db.AgentTasks.Where(t => t.CreatedAt < answered).ExecuteDeleteAsync(ct);
    }
}
