using System.Security.Cryptography;
using System.Text;

namespace IaasApi.Infrastructure.Security;

/// <summary>API key format: <c>iaas_</c> + 43 base64url characters (256 random bits). Stored as SHA-256 hex.</summary>
public static class ApiKeySecrets
{
    public const string Prefix = "iaas_";

    public static (string Key, string Hash, string DisplayPrefix) Generate()
    {
        var key = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (key, Hash(key), key[..12]);
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A stable id for the configured bootstrap key, so audit events can name it without storing it.</summary>
    public static Guid BootstrapKeyId(string hash) => new(Convert.FromHexString(hash.AsSpan(0, 32)));

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
