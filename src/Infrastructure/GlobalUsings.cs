// What nearly every file of the orchestration layer uses: EF Core, logging, options, the domain's common vocabulary and
// the database context. Feature namespaces stay explicit in each file (they show its dependencies).
global using IaasApi.Domain.Common;
global using IaasApi.Infrastructure.Persistence;
global using Microsoft.EntityFrameworkCore;
global using Microsoft.Extensions.Logging;
global using Microsoft.Extensions.Options;
