using System.Collections.Concurrent;
using System.Text;

namespace IaasApi.Domain.Common;

/// <summary>
/// The one mapping between enum members and the lowercase words used by the API and the database
/// (<c>BestEffort</c> ⇄ <c>"best-effort"</c>), so the two can never drift apart.
/// </summary>
public static class EnumWords
{
    private static readonly ConcurrentDictionary<Enum, string> Words = new();

    public static string ToWord<T>(T value) where T : struct, Enum =>
        Words.GetOrAdd(value, static v => Kebab(v.ToString()));

    public static T Parse<T>(string word) where T : struct, Enum =>
        TryParse<T>(word, out var value) ? value : throw new ArgumentException($"'{word}' is not a {typeof(T).Name}.");

    public static bool TryParse<T>(string? word, out T value) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(ToWord(candidate), word, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }
        value = default;
        return false;
    }

    public static IReadOnlyList<string> All<T>() where T : struct, Enum => Enum.GetValues<T>().Select(ToWord).ToArray();

    private static string Kebab(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            if (char.IsUpper(pascal[i]) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(pascal[i]));
        }
        return sb.ToString();
    }
}
