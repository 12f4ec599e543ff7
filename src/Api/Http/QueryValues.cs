namespace IaasApi.Api.Http;

/// <summary>Query-string values in the API's words ("deleted", "best-effort"), parsed with a 400 that lists the choices.</summary>
public static class QueryValues
{
    public static T? Enum<T>(string? value, string parameter) where T : struct, System.Enum
    {
        if (value is null) return null;
        return EnumWords.TryParse<T>(value, out var parsed)
            ? parsed
            : throw new FieldValidationException(parameter,
                $"'{value}' is not a valid {parameter}; use one of: {string.Join(", ", EnumWords.All<T>())}.");
    }
}
