namespace IaasApi.Domain.Migrations;

/// <summary>
/// How fast a host really migrates when its link is not the bottleneck, from its past migrations (MiB sent, the
/// hypervisor's total ms): a least-squares line time = <see cref="SetupMs"/> + MiB / <see cref="RateMiBps"/> when the
/// samples differ enough in size to tell the two apart, else the median rate with no setup.
/// </summary>
public readonly record struct HostMigrationRate(double RateMiBps, double SetupMs, int Samples)
{
    public static HostMigrationRate? Fit(IReadOnlyList<(double MiB, double Ms)> samples)
    {
        if (samples.Count == 0) return null;
        var mean = (MiB: samples.Average(s => s.MiB), Ms: samples.Average(s => s.Ms));
        var sxx = samples.Sum(s => (s.MiB - mean.MiB) * (s.MiB - mean.MiB));
        var sxy = samples.Sum(s => (s.MiB - mean.MiB) * (s.Ms - mean.Ms));
        var spread = samples.Max(s => s.MiB) - samples.Min(s => s.MiB);
        if (samples.Count >= 3 && spread >= 0.2 * mean.MiB && sxx > 0 && sxy > 0)
        {
            var msPerMiB = sxy / sxx;
            var setup = mean.Ms - msPerMiB * mean.MiB;
            if (setup >= 0) return new HostMigrationRate(1000 / msPerMiB, setup, samples.Count);
        }
        var rates = samples.Select(s => s.MiB / (s.Ms / 1000)).Order().ToList();
        return new HostMigrationRate(rates[rates.Count / 2], 0, samples.Count);
    }
}
