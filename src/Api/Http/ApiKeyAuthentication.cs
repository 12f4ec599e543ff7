using System.Security.Claims;
using System.Text.Encodings.Web;
using IaasApi.Domain.Tenancy;
using IaasApi.Infrastructure.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace IaasApi.Api.Http;

/// <summary>
/// <c>Authorization: Bearer &lt;api key&gt;</c>. The key's SHA-256 is looked up (one indexed equality); revoked keys
/// fail at once. The configured bootstrap admin key is accepted without a database row. Failures are problem+json
/// with <c>WWW-Authenticate: Bearer</c>.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IaasDbContext db,
    BootstrapAdminKey bootstrap,
    KnownKeys known,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("The Authorization header must use the Bearer scheme.");
        var key = header["Bearer ".Length..].Trim();
        if (key.Length is 0 or > 200) return AuthenticateResult.Fail("The API key is not valid.");

        var hash = ApiKeySecrets.Hash(key);
        if (bootstrap.Hash is { } configured && ApiKeySecrets.FixedTimeEquals(hash, configured))
            return Success(hash, ApiKeySecrets.BootstrapKeyId(configured), Role.Admin, null);

        var found = await db.ApiKeys.AsNoTracking().Where(k => k.Hash == hash)
            .Select(k => new { k.Id, k.Role, k.TenantId, k.RevokedAt, k.LastUsedAt }).SingleOrDefaultAsync(Context.RequestAborted);
        if (found is null || found.RevokedAt is not null)
        {
            known.Forget(hash);
            return AuthenticateResult.Fail("The API key is not valid or was revoked.");
        }

        var now = db.Clock.GetUtcNow();
        if (found.LastUsedAt is null || now - found.LastUsedAt > LastUsedResolution)
        {
            // Throttled to once a minute per key: no write per request.
            await db.ApiKeys.Where(k => k.Id == found.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), Context.RequestAborted);
        }
        return Success(hash, found.Id, found.Role, found.TenantId);
    }

    /// <summary>The key in <c>Authorization: Bearer &lt;key&gt;</c>, if the header has that shape (the rate limiter's view, before the lookup).</summary>
    public static string? BearerKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;
        var key = header["Bearer ".Length..].Trim();
        return key.Length is 0 or > 200 ? null : key;
    }

    private AuthenticateResult Success(string hash, Guid keyId, Role role, Guid? tenantId)
    {
        known.Remember(hash, new Caller(keyId, role, tenantId));
        var claims = new List<Claim> { new(Caller.KeyIdClaim, keyId.ToString()), new(ClaimTypes.Role, EnumWords.ToWord(role)) };
        if (tenantId is { } t) claims.Add(new Claim(Caller.TenantClaim, t.ToString()));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = result.Failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = Problems.Create(401, HttpProblemTypes.Unauthorized, "A valid API key is required.",
                result.Failure?.Message ?? "Send 'Authorization: Bearer <api key>'."),
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 403;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = Problems.Create(403, HttpProblemTypes.Forbidden, "This API key may not do that.",
                "This route needs an admin key."),
        });
    }
}

/// <summary>The configured (or, in embedded mode, generated) bootstrap admin key, as a hash.</summary>
public sealed class BootstrapAdminKey(string? key)
{
    public string? Hash { get; } = string.IsNullOrWhiteSpace(key) ? null : ApiKeySecrets.Hash(key.Trim());

    public Guid? Id => Hash is null ? null : ApiKeySecrets.BootstrapKeyId(Hash);
}

public static class AuthorizationPolicies
{
    public const string Admin = "admin";
}
