using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace IaasApi.Api.Http;

/// <summary>
/// A GET takes exactly the query parameters its handler binds, read from the handler's signature (so the list cannot
/// drift from what is implemented): any other is a 400 naming it and the ones the route takes, never silently ignored.
/// </summary>
public static class QueryParameters
{
    public static TBuilder RejectUnknownQueryParameters<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            if (endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault() is { } methods
                && !methods.HttpMethods.Contains(HttpMethods.Get, StringComparer.OrdinalIgnoreCase)) return;
            endpoint.FilterFactories.Add((factory, next) =>
            {
                var bound = BoundFromQuery(factory.MethodInfo);
                return ctx => Unknown(ctx.HttpContext.Request, bound) is { Count: > 0 } errors
                    ? ValueTask.FromResult<object?>(ValidationFilter.ValidationProblem(errors))
                    : next(ctx);
            });
        });
        return builder;
    }

    private static Dictionary<string, string[]>? Unknown(HttpRequest request, IReadOnlyList<string> bound)
    {
        if (request.Query.Count == 0 || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))) return null;
        // A name the route already binds (a path's {id}) is not a query parameter either.
        var takes = bound.Where(name => !request.RouteValues.ContainsKey(name)).ToList();
        var unknown = request.Query.Keys.Where(key => !takes.Contains(key, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count == 0) return null;
        var accepted = takes.Count == 0 ? "it takes none" : $"it takes: {string.Join(", ", takes)}";
        return unknown.ToDictionary(key => key, key => new[] { $"'{key}' is not a query parameter of GET {request.Path}; {accepted}." });
    }

    /// <summary>The handler's parameters that minimal APIs bind from the query string (or the route): simple types.</summary>
    private static IReadOnlyList<string> BoundFromQuery(MethodInfo handler) =>
        handler.GetParameters().Where(IsFromQueryOrRoute).Select(p => p.GetCustomAttribute<FromQueryAttribute>()?.Name ?? p.Name!).ToList();

    private static bool IsFromQueryOrRoute(ParameterInfo p)
    {
        var attributes = p.GetCustomAttributes().ToList();
        if (attributes.OfType<IFromQueryMetadata>().Any()) return true;
        if (attributes.Any(a => a is IFromBodyMetadata or IFromServiceMetadata or IFromHeaderMetadata or IFromFormMetadata
                                  or FromKeyedServicesAttribute or AsParametersAttribute)) return false;
        var type = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
        if (type.IsArray) type = type.GetElementType()!;
        return type == typeof(string) || type.IsEnum || HasTryParse(type);
    }

    private static bool HasTryParse(Type type) =>
        type.GetMethods(BindingFlags.Public | BindingFlags.Static).Any(m => m.Name == "TryParse" && m.ReturnType == typeof(bool)
            && m.GetParameters() is [{ } first, .., { } last] && first.ParameterType == typeof(string)
            && last.IsOut && last.ParameterType.GetElementType() == type);
}
