using Hangfire;
using Microsoft.Extensions.Hosting;

namespace IaasApi.Infrastructure.Operations;

/// <summary>Registers (or updates) the recurring tick when a worker host starts.</summary>
internal sealed class RecurringJobsRegistration(IRecurringJobManager recurring, IOptions<IaasOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken ct)
    {
        var seconds = Math.Clamp(options.Value.Reconciler.IntervalSeconds, 1, 59);
        recurring.AddOrUpdate<Operations.ITickJob>(Operations.TickJob.RecurringJobId, JobDispatcher.ControlQueue,
            j => j.RunAsync(CancellationToken.None), $"*/{seconds} * * * * *");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
