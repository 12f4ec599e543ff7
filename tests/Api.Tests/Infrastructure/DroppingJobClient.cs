using Hangfire;
using Hangfire.Common;
using Hangfire.States;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>
/// The real Hangfire client, with one switch for tests: drop the next N enqueues, as if the process died between
/// the database commit and the enqueue. The reconciler must then finish the work.
/// </summary>
public sealed class DroppingJobClient(IBackgroundJobClient inner) : IBackgroundJobClient
{
    private int _drop;
    private static long _lost;

    public int Dropped { get; private set; }

    public void DropNext(int count) => Interlocked.Exchange(ref _drop, count);

    public string Create(Job job, IState state)
    {
        if (Interlocked.Decrement(ref _drop) >= 0)
        {
            Dropped++;
            // An id the storage never issued (numeric, as Hangfire.PostgreSql's are): exactly what a lost job looks like.
            return (900_000_000_000 + Interlocked.Increment(ref _lost)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        Interlocked.Exchange(ref _drop, 0);
        return inner.Create(job, state);
    }

    public bool ChangeState(string jobId, IState state, string expectedState) => inner.ChangeState(jobId, state, expectedState);
}
