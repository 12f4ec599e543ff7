using IaasApi.Domain.Hypervisors;

namespace IaasApi.Infrastructure.Hypervisors.Fake;

/// <summary>
/// A copy the fake fleet runs (a cold migration's disk copy, a storage migration's mirror): the written part of the VM's
/// disk streamed at the request's bandwidth against the clock.
/// </summary>
public sealed class FakeCopy<TRequest>(TRequest request, double totalMiB, double bandwidthMiBps, long startedAt)
{
    public TRequest Request { get; } = request;
    public double BandwidthMiBps { get; } = bandwidthMiBps;
    public double TotalMiB { get; } = totalMiB;
    public long StartedAt { get; } = startedAt;
    public double CopiedMiB { get; set; }
    public DiskCopyState State { get; set; } = DiskCopyState.Copying;
    public string? Error { get; set; }
}
