using Hangfire;

namespace IaasApi.Infrastructure.Operations;

/// <summary>
/// One global retry policy, from options, replacing Hangfire's default (10 attempts over hours). Hangfire filters are
/// process-global, so this is applied once and kept.
/// </summary>
internal static class RetryPolicy
{
    private static readonly Lock Gate = new();

    public static void Apply(JobOptions jobs)
    {
        lock (Gate)
        {
            foreach (var existing in GlobalJobFilters.Filters.Where(f => f.Instance is AutomaticRetryAttribute).ToList())
                GlobalJobFilters.Filters.Remove(existing.Instance);
            var delays = jobs.RetryDelaysSeconds is { Length: > 0 } d ? d : [1];
            GlobalJobFilters.Filters.Add(new AutomaticRetryAttribute
            {
                Attempts = Math.Max(jobs.MaxAttempts, delays.Length),
                DelaysInSeconds = delays,
                OnAttemptsExceeded = AttemptsExceededAction.Fail,
            });
        }
    }
}
