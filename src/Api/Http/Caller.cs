using System.Security.Claims;
using IaasApi.Domain.Operations;
using IaasApi.Domain.Tenancy;

namespace IaasApi.Api.Http;

/// <summary>The authenticated API key behind a request. Bound into handlers as a parameter.</summary>
public sealed record Caller(Guid KeyId, Role Role, Guid? TenantId)
{
    public const string KeyIdClaim = "iaas:key";
    public const string TenantClaim = "iaas:tenant";

    public bool IsAdmin => Role == Role.Admin;

    public string Actor => Actors.Key(KeyId);

    /// <summary>Idempotency keys are per caller: per tenant for tenant keys, per key for admin keys.</summary>
    public string IdempotencyScope => TenantId is { } t ? $"tenant:{t}" : $"key:{KeyId}";

    public static Caller? From(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true) return null;
        if (!Guid.TryParse(user.FindFirstValue(KeyIdClaim), out var keyId)) return null;
        if (!EnumWords.TryParse<Role>(user.FindFirstValue(ClaimTypes.Role), out var role)) return null;
        Guid? tenant = Guid.TryParse(user.FindFirstValue(TenantClaim), out var t) ? t : null;
        return new Caller(keyId, role, tenant);
    }

    public static ValueTask<Caller?> BindAsync(HttpContext http) =>
        ValueTask.FromResult<Caller?>(From(http.User) ?? throw new InvalidOperationException("Caller bound on an anonymous endpoint."));

    /// <summary>Tenants see only their own resources; an admin sees all.</summary>
    public bool CanSee(Guid tenantId) => IsAdmin || TenantId == tenantId;
}
