using System.Text.Json;
using System.Text.Json.Serialization;
using IaasApi.Domain.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Json;
using IaasApi.Api.OpenApi;

namespace IaasApi.Api.Startup;

public static class ApiServices
{
    /// <summary>Problem details, JSON conventions, API-key auth, validators and OpenAPI.</summary>
    public static IServiceCollection AddIaasApi(this IServiceCollection services, string? bootstrapAdminKey)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Customize);
        services.AddExceptionHandler<DomainExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);   // binding errors reach the exception handler
        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(o => ConfigureJson(o.JsonSerializerOptions));   // what Swagger reads

        services.AddSingleton(new BootstrapAdminKey(bootstrapAdminKey));
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
                .AddPolicy(AuthorizationPolicies.Admin, p => p.RequireAuthenticatedUser().RequireRole(Domain.Common.EnumWords.ToWord(Role.Admin)));

        services.AddValidatorsFromAssemblyContaining<Program>(ServiceLifetime.Singleton);
        // Error keys and messages name fields as the JSON does: "capacity.memoryMiB", not "Capacity.MemoryMiB".
        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) => member is null ? null : JsonNamingPolicy.CamelCase.ConvertName(member.Name);
        ValidatorOptions.Global.DisplayNameResolver = (_, member, _) => member is null ? null : JsonNamingPolicy.CamelCase.ConvertName(member.Name);

        services.AddIaasOpenApi();
        return services;
    }

    public static void ConfigureJson(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        o.NumberHandling = JsonNumberHandling.Strict;                   // "4" is not a number
        o.Converters.Add(new EnumWordsJsonConverter());                 // enums as words; a wrong word's 400 names the words
        o.Converters.Add(EnumWordsJsonConverter.Words);
    }
}
