using System.Reflection;
using System.Runtime.Serialization;

namespace IaasApi.Cli;

/// <summary>The API's words for a generated enum (its <c>[EnumMember]</c> values: "best-effort", "live", "succeeded").</summary>
internal static class EnumWords
{
    public static string Of<T>(T value) where T : struct, Enum => Of(typeof(T), value);

    /// <summary>The value a word names, or a usage error listing the words <paramref name="what"/> takes.</summary>
    public static object Parse(Type type, string word, string what) =>
        Enum.GetValues(type).Cast<object>().FirstOrDefault(v => Of(type, v) == word || v.ToString()!.Equals(word, StringComparison.OrdinalIgnoreCase))
        ?? throw new CliException($"{what} takes {string.Join(", ", Enum.GetValues(type).Cast<object>().Select(v => Of(type, v)))}, not '{word}'.",
                                  ExitCodes.Usage);

    public static T Parse<T>(string word, string what) where T : struct, Enum => (T)Parse(typeof(T), word, what);

    private static string Of(Type type, object value) =>
        type.GetField(value.ToString()!, BindingFlags.Public | BindingFlags.Static)?.GetCustomAttribute<EnumMemberAttribute>()?.Value
        ?? value.ToString()!.ToLowerInvariant();
}
