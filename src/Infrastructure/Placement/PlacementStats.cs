namespace IaasApi.Infrastructure.Placement;

/// <summary>Counters of this process's placement work since start (GET /v1/placement/stats), also counted on the meters.</summary>
public sealed class PlacementStats
{
    private long _admitted;
    private long _refused;
    private long _claimsLost;
    private long _transactionRetries;
    private long _freshRetries;

    public void Admitted(int instances)
    {
        Interlocked.Add(ref _admitted, instances);
        Telemetry.IaasTelemetry.Placed(instances);
    }

    /// <summary>A request refused no-valid-host; <paramref name="filter"/> eliminated its last candidates.</summary>
    public void Refused(string? filter)
    {
        Interlocked.Increment(ref _refused);
        Telemetry.IaasTelemetry.Refused(filter);
    }

    public void ClaimLost()
    {
        Interlocked.Increment(ref _claimsLost);
        Telemetry.IaasTelemetry.ClaimConflict();
    }

    public void TransactionRetried() => Interlocked.Increment(ref _transactionRetries);
    public void RefreshedBeforeRefusing() => Interlocked.Increment(ref _freshRetries);

    public PlacementCounters Read() => new(Interlocked.Read(ref _admitted), Interlocked.Read(ref _refused), Interlocked.Read(ref _claimsLost),
        Interlocked.Read(ref _transactionRetries), Interlocked.Read(ref _freshRetries));
}

/// <param name="Admitted">Instances placed and claimed.</param>
/// <param name="Refused">Requests answered no-valid-host.</param>
/// <param name="ClaimsLost">Conditional claims that matched no row (a concurrent claim won, or the snapshot was stale): each cost one alternate.</param>
/// <param name="TransactionRetries">Admission transactions retried after a deadlock or a busy database.</param>
/// <param name="RefreshedBeforeRefusing">Refusals re-checked on a freshly refreshed snapshot.</param>
public sealed record PlacementCounters(long Admitted, long Refused, long ClaimsLost, long TransactionRetries, long RefreshedBeforeRefusing);
