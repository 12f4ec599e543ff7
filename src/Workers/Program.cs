using IaasApi.Infrastructure.Operations;
using IaasApi.Infrastructure;
using IaasApi.Infrastructure.Telemetry;

// A host agent / worker process: a Hangfire server over the shared storage, serving the control queue and/or the
// agent queues (h-<host name>) of the hosts named in Iaas:Workers:Hosts. All the work lives in Infrastructure.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddIaasInfrastructure(builder.Configuration);
builder.Services.AddIaasTelemetry(builder.Configuration, "iaas-workers");   // metrics and traces by OTLP when configured
builder.Services.AddIaasWorkers(sp =>
{
    var workers = builder.Configuration.GetSection(IaasOptions.Section).Get<IaasOptions>()?.Workers ?? new WorkerOptions();
    var queues = workers.Hosts.Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => JobDispatcher.HostQueue(h.Trim())).ToList();
    if (workers.ServeControlQueue) queues.Insert(0, JobDispatcher.ControlQueue);
    return queues.Count > 0 ? queues : throw new InvalidOperationException(
        "This worker serves no queue: set Iaas:Workers:ServeControlQueue=true or list hosts in Iaas:Workers:Hosts.");
});
builder.Build().Run();
