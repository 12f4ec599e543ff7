using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IaasApi.Infrastructure.Operations;

/// <summary>
/// A worker process's liveness for a container health check (it has no HTTP port): every 10 s, while the database
/// answers, the file named by <c>Iaas:Workers:AliveFile</c> is touched; a check treats it as dead when the file is
/// older than a minute (compose: <c>find /tmp/iaas-worker-alive -mmin -1</c>).
/// </summary>
internal sealed class WorkerLiveness(IServiceScopeFactory scopes, IOptions<IaasOptions> options, ILogger<WorkerLiveness> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Workers.AliveFile is not { Length: > 0 } path) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                if (await scope.ServiceProvider.GetRequiredService<IaasDbContext>().Database.CanConnectAsync(stoppingToken))
                {
                    await File.WriteAllTextAsync(path, DateTimeOffset.UtcNow.ToString("O"), stoppingToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning(ex, "Liveness not recorded");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
