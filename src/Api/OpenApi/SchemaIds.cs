using IaasApi.Api.Http;

namespace IaasApi.Api.OpenApi;

/// <summary>
/// Schema names a generated client can use as type names: the C# type's own name (<c>FlavorResponse</c>), a page of
/// items as <c>FlavorResponsePage</c>. Two types with one name fail the document's
/// generation (Swashbuckle refuses conflicting ids), so a clash is found by the first test that reads it.
/// </summary>
internal static class SchemaIds
{
    public static string For(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying) return For(underlying);
        if (type == typeof(Microsoft.AspNetCore.Mvc.ProblemDetails)) return ProblemSchema.Id;   // an operation's error
        if (!type.IsGenericType) return type.Name;
        var arguments = string.Concat(type.GetGenericArguments().Select(For));
        var name = type.Name[..type.Name.IndexOf('`')];
        return type.GetGenericTypeDefinition() == typeof(Page<>) ? arguments + "Page" : arguments + name;
    }
}
