using IaasApi.Api.Features;
using IaasApi.Api.Features.AuditEvents;
using IaasApi.Api.Features.Dashboard;
using IaasApi.Api.Features.Flavors;
using IaasApi.Api.Features.Health;
using IaasApi.Api.Features.Hosts;
using IaasApi.Api.Features.Images;
using IaasApi.Api.Features.Instances;
using IaasApi.Api.Features.Me;
using IaasApi.Api.Features.Migrations;
using IaasApi.Api.Features.Operations;
using IaasApi.Api.Features.Overview;
using IaasApi.Api.Features.Placement;
using IaasApi.Api.Features.Regions;
using IaasApi.Api.Features.Reservations;
using IaasApi.Api.Features.ServerGroups;
using IaasApi.Api.Features.Simulation;
using IaasApi.Api.Features.SlaPlans;
using IaasApi.Api.Features.Snapshots;
using IaasApi.Api.Features.StoragePools;
using IaasApi.Api.Features.Tenants;
using IaasApi.Api.Features.Zones;
using IaasApi.Api.OpenApi;
using IaasApi.Api.Startup;
using IaasApi.Infrastructure;

// `dotnet Api.dll migrate` applies the migrations for the configured database and exits (compose's migrate service).
var migrateOnly = args.Length > 0 && args[0] == "migrate";
var builder = WebApplication.CreateBuilder(migrateOnly ? args[1..] : args);

builder.Services.AddIaasInfrastructure(builder.Configuration);
var options = builder.Configuration.GetSection(IaasOptions.Section).Get<IaasOptions>() ?? new IaasOptions();
var mode = DatabaseMode.From(builder.Configuration, options);

if (migrateOnly)
{
    using var migrator = builder.Build();
    await Bootstrap.MigrateAsync(migrator.Services);
    Console.WriteLine($"Migrations applied ({(mode.IsEmbedded ? mode.SqlitePath : "PostgreSQL")}).");
    return 0;
}

builder.Services.AddIaasApi(Bootstrap.ResolveAdminKey(options, mode));
builder.Services.AddIaasRateLimits(builder.Configuration);
builder.Services.AddIaasApiTelemetry(builder.Configuration, options.Telemetry);
if (options.InProcessWorkers) builder.Services.AddIaasWorkers(Bootstrap.AllQueues);
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = RequestLimitsMiddleware.MaxBodyBytes);

var app = builder.Build();

if (options.MigrateOnStart ?? mode.IsEmbedded) await Bootstrap.MigrateAsync(app.Services);
if (mode.IsEmbedded && (options.SeedDemoData ?? true))
    await Bootstrap.SeedDemoDataAsync(app.Services, Path.GetDirectoryName(mode.SqlitePath)!);

app.UseAccessLog(options.Telemetry);           // outermost: one line per request, after it ended
app.UseMiddleware<AuditMiddleware>();          // records the final status of every mutating request
app.UseExceptionHandler();
app.UseStatusCodePages();                      // empty 404/405/... become problem+json
app.UseMiddleware<RequestLimitsMiddleware>();
app.UseDashboard();                            // /dashboard/: static files, before routing and authentication
app.UseJobsDashboard(options.JobsDashboardWritable ?? app.Environment.IsDevelopment());   // /hangfire: admins only
app.UseRouting();
app.UseIaasRateLimits(() => app.UseAuthentication());   // per API key, around authentication; before authorization and any handler
app.UseAuthorization();
app.Use(AuditMiddleware.Capture);
app.UseMiddleware<IdempotencyMiddleware>();
// Swagger UI: on for the embedded all-in-one and in Development, off in a production deployment unless Iaas:SwaggerUi=true.
var swaggerUi = options.SwaggerUi ?? (mode.IsEmbedded || app.Environment.IsDevelopment());
app.UseIaasOpenApi(swaggerUi);

app.MapGet("/", () => Results.Redirect(swaggerUi ? "/swagger" : "/dashboard/")).ExcludeFromDescription();
app.MapHealth();
app.MapIaasMetrics(options.Telemetry);         // /metrics (Prometheus)
var v1 = app.MapGroup("/v1").RequireAuthorization().RejectUnknownQueryParameters();
v1.MapRegions();
v1.MapZones();
v1.MapHosts();
v1.MapStoragePools();
v1.MapFlavors();
v1.MapImages();
v1.MapSlaPlans();
v1.MapTenants();
v1.MapAdminKeys();
v1.MapMe();
v1.MapInstances();
v1.MapSnapshots();
v1.MapServerGroups();
v1.MapPlacement();
v1.MapReservations();
v1.MapMigrations();
v1.MapMigrationPreview();
v1.MapPlanners();
v1.MapOperations();
v1.MapOverview();
v1.MapAuditEvents();
v1.MapSimulation();
v1.MapUnknownActions();                        // last: POST …/actions/{x} that no route above serves

app.Run();
return 0;

public partial class Program;
