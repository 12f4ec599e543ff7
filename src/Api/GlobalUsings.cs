// What nearly every endpoint file uses: validation, the HTTP helpers, typed results, EF Core, the domain's common
// vocabulary and the database context. Feature namespaces stay explicit in each file (they show its dependencies).
global using FluentValidation;
global using IaasApi.Api.Http;
global using IaasApi.Domain.Common;
global using IaasApi.Infrastructure.Persistence;
global using Microsoft.AspNetCore.Http.HttpResults;
global using Microsoft.EntityFrameworkCore;
