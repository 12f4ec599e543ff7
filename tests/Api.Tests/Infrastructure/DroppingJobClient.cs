using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using IaasApi.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>
/// The real Hangfire client, with one switch for tests: drop the next N enqueues, as if the process died between
/// the database commit and the enqueue. The reconciler must then finish the work.
/// </summary>
/// <remarks>
/// The tests share one control plane, so other tests' work (a queue pass after a delete, a reservation's start) may be
/// enqueued while a test drops: given a tenant, only jobs that carry that tenant's operations are dropped.
/// </remarks>
public sealed class DroppingJobClient(IBackgroundJobClient inner, IServiceProvider services) : IBackgroundJobClient
{
    private int _drop;
    private Guid? _tenant;
    private static long _lost;

    public int Dropped { get; private set; }

    /// <summary>Drops the next <paramref name="count"/> enqueues of <paramref name="tenantId"/>'s operations (any job without it); 0 stops dropping.</summary>
    public void DropNext(int count, Guid? tenantId = null)
    {
        Interlocked.Exchange(ref _drop, 0);
        _tenant = tenantId;
        Interlocked.Exchange(ref _drop, count);
    }

    public string Create(Job job, IState state)
    {
        if (Volatile.Read(ref _drop) > 0 && Carries(job, _tenant) && TakeOne())
        {
            Dropped++;
            // An id the storage never issued (numeric, as Hangfire.PostgreSql's are): exactly what a lost job looks like.
            return (900_000_000_000 + Interlocked.Increment(ref _lost)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return inner.Create(job, state);
    }

    public bool ChangeState(string jobId, IState state, string expectedState) => inner.ChangeState(jobId, state, expectedState);

    private bool TakeOne()
    {
        for (var left = Volatile.Read(ref _drop); left > 0; left = Volatile.Read(ref _drop))
            if (Interlocked.CompareExchange(ref _drop, left - 1, left) == left) return true;
        return false;
    }

    /// <summary>Operation jobs take the operation's id first; the operation says whose it is.</summary>
    private bool Carries(Job job, Guid? tenantId)
    {
        if (tenantId is null) return true;
        if (job.Args.Count == 0 || job.Args[0] is not Guid operationId) return false;
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<IaasDbContext>();
        return db.Operations.AsNoTracking().Where(o => o.Id == operationId).Select(o => o.TenantId).FirstOrDefault() == tenantId;
    }
}
