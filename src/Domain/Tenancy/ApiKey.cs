using IaasApi.Domain.Common;

namespace IaasApi.Domain.Tenancy;

public enum Role { Admin, Tenant }

/// <summary>
/// A bearer credential. Only a SHA-256 hash of the secret is stored: keys are 256-bit random strings, so a
/// fast hash is enough (there is nothing to brute-force), and lookups are a single indexed equality.
/// </summary>
public sealed class ApiKey : Entity
{
    private ApiKey() { Name = ""; Hash = ""; Prefix = ""; }

    public ApiKey(Role role, Guid? tenantId, string name, string hash, string prefix, DateTimeOffset now) : base(now)
    {
        if ((role == Role.Tenant) != tenantId.HasValue)
            throw new ArgumentException("Tenant keys belong to a tenant; admin keys to none.");
        Role = role;
        TenantId = tenantId;
        Name = name;
        Hash = hash;
        Prefix = prefix;
    }

    public Role Role { get; private set; }
    public Guid? TenantId { get; private set; }
    public string Name { get; private set; }
    /// <summary>Hex SHA-256 of the whole key.</summary>
    public string Hash { get; private set; }
    /// <summary>The first characters of the key, shown in listings so a human can tell keys apart.</summary>
    public string Prefix { get; private set; }
    public DateTimeOffset? LastUsedAt { get; private set; }
    public DateTimeOffset? RevokedAt { get; private set; }

    public bool Revoked => RevokedAt.HasValue;

    public void Revoke(DateTimeOffset now) => RevokedAt ??= now;
}
