using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using IaasApi.Infrastructure.Security;
using Microsoft.AspNetCore.RateLimiting;

namespace IaasApi.Api.Http;

/// <summary>
/// <c>Iaas:RateLimits</c>: token buckets per API key (ASP.NET Core's rate limiter). Every request spends a token of its
/// key's bucket (tenant keys, admin keys, and per remote address for requests without a valid key); a tenant key's
/// mutating requests (POST, PUT, PATCH, DELETE) also spend one of a second, smaller bucket, as EC2 meters mutating
/// calls apart from reads. A rate of 0 turns that bucket off. Health checks and the dashboard's files are never limited.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Iaas:RateLimits";

    public bool Enabled { get; set; } = true;
    public int TenantPermitsPerSecond { get; set; } = 20;
    public int TenantBurst { get; set; } = 100;
    public int TenantMutationsPerSecond { get; set; } = 10;
    public int TenantMutationBurst { get; set; } = 50;
    public int AdminPermitsPerSecond { get; set; } = 200;
    public int AdminBurst { get; set; } = 1000;
    public int AnonymousPermitsPerSecond { get; set; } = 20;
    public int AnonymousBurst { get; set; } = 100;

    public void Validate()
    {
        (string Name, int Rate, int Burst)[] buckets =
        [
            ("Tenant", TenantPermitsPerSecond, TenantBurst), ("TenantMutation", TenantMutationsPerSecond, TenantMutationBurst),
            ("Admin", AdminPermitsPerSecond, AdminBurst), ("Anonymous", AnonymousPermitsPerSecond, AnonymousBurst),
        ];
        foreach (var (name, rate, burst) in buckets)
            if (rate < 0 || (rate > 0 && burst < 1))
                throw new InvalidOperationException(
                    $"{Section}: {name} rates must be 0 (no limit) or positive, with a burst of at least 1 when limited.");
    }
}

public static class RateLimits
{
    /// <summary>Set on a request the limiter refused (the audit does not record those: a flood must not become writes).</summary>
    public const string RejectedItem = "iaas.rate-limited";

    private const string PartitionItem = "iaas.rate-limit.partition";
    private const string MeteredItem = "iaas.rate-limit.metered";

    public static IServiceCollection AddIaasRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton<RateLimitLog>();
        services.AddSingleton<KnownKeys>();
        services.AddRateLimiter(r =>
        {
            r.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            r.OnRejected = RejectAsync;
            // Mutations first: a refused mutation then costs no token of the key's general budget.
            if (options.Enabled) r.GlobalLimiter = PartitionedRateLimiter.CreateChained(Mutations(options), Requests(options));
        });
        return services;
    }

    /// <summary>
    /// The limiter runs twice around authentication, on the same buckets, and meters each request once: before it, a
    /// key seen to authenticate before (<see cref="KnownKeys"/>) — so a flood from a known key is refused without its
    /// database lookup; after it, everything else — a key's first requests by its id, requests without a valid key by
    /// remote address.
    /// </summary>
    public static void UseIaasRateLimits(this WebApplication app, Action authenticate)
    {
        app.Use((http, next) =>
        {
            if (ApiKeyAuthenticationHandler.BearerKey(http.Request) is { } key
                && http.RequestServices.GetRequiredService<KnownKeys>().Find(key) is { } known)
            {
                http.Items[PartitionItem] = new Partition($"key:{known.KeyId}", known);
                http.Items[MeteredItem] = true;
            }
            return next(http);
        });
        app.UseRateLimiter();
        authenticate();
        app.Use((http, next) =>
        {
            http.Items[PartitionItem] = http.Items.ContainsKey(MeteredItem) ? null
                : Caller.From(http.User) is { } caller ? new Partition($"key:{caller.KeyId}", caller)
                : new Partition($"address:{http.Connection.RemoteIpAddress}", null);
            return next(http);
        });
        app.UseRateLimiter();
    }

    /// <summary>A bucket's key and whose it is (null: requests without a valid key).</summary>
    private sealed record Partition(string Key, Caller? Caller);

    private static Partition? PartitionOf(HttpContext http) => http.Items[PartitionItem] as Partition;

    /// <summary>Every request, per API key (admin keys get their own, larger budget); without a key, per remote address.</summary>
    private static PartitionedRateLimiter<HttpContext> Requests(RateLimitOptions o) => PartitionedRateLimiter.Create<HttpContext, string>(http =>
    {
        if (PartitionOf(http) is not { } partition) return RateLimitPartition.GetNoLimiter("");
        var (rate, burst) = partition.Caller is null ? (o.AnonymousPermitsPerSecond, o.AnonymousBurst)
            : partition.Caller.IsAdmin ? (o.AdminPermitsPerSecond, o.AdminBurst)
            : (o.TenantPermitsPerSecond, o.TenantBurst);
        return rate == 0 ? RateLimitPartition.GetNoLimiter("") : RateLimitPartition.GetTokenBucketLimiter(partition.Key, _ => Bucket(rate, burst));
    });

    /// <summary>A tenant key's POST, PUT, PATCH and DELETE requests; everything else passes this one.</summary>
    private static PartitionedRateLimiter<HttpContext> Mutations(RateLimitOptions o) => PartitionedRateLimiter.Create<HttpContext, string>(http =>
    {
        if (o.TenantMutationsPerSecond == 0 || PartitionOf(http) is not { Caller: { IsAdmin: false } } partition
            || HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method))
            return RateLimitPartition.GetNoLimiter("");
        return RateLimitPartition.GetTokenBucketLimiter(partition.Key, _ => Bucket(o.TenantMutationsPerSecond, o.TenantMutationBurst));
    });

    // Refused at once (no queue: waiting would only turn overload into latency). The partitioned limiter replenishes its
    // buckets on its own 100 ms timer and drops idle full ones, so keys cost nothing while quiet.
    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = false,
    };

    /// <summary>429 <c>rate-limited</c> problem with <c>Retry-After</c> in whole seconds (from the bucket's refill), before any handler ran.</summary>
    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken ct)
    {
        var http = context.HttpContext;
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
        var partition = PartitionOf(http);
        http.Items[RejectedItem] = true;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        http.RequestServices.GetRequiredService<RateLimitLog>().Rejected(partition?.Key ?? "", http.Request.Method, partition?.Caller);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = Problems.Create(429, HttpProblemTypes.RateLimited, "Too many requests.",
                $"This {(partition?.Caller is null ? "address" : "API key")} has used its request budget; retry after {seconds} s."),
        });
    }
}

/// <summary>
/// Who each presented API key turned out to be at its last successful authentication (by the key's hash): used only to
/// pick its rate-limit bucket before the key is looked up again — never to authorize. Forgotten when it fails.
/// </summary>
public sealed class KnownKeys
{
    private const int Capacity = 100_000;
    private readonly ConcurrentDictionary<string, Caller> _byHash = new(StringComparer.Ordinal);

    public Caller? Find(string key) => _byHash.TryGetValue(ApiKeySecrets.Hash(key), out var caller) ? caller : null;

    public void Remember(string hash, Caller caller)
    {
        if (_byHash.Count >= Capacity) _byHash.Clear();   // bounded: a cleared key is metered after authentication again
        _byHash[hash] = caller;
    }

    public void Forget(string hash) => _byHash.TryRemove(hash, out _);
}

/// <summary>One warning per key (or address) per minute while it is being refused, with how many were refused.</summary>
internal sealed class RateLimitLog(ILogger<RateLimitLog> log, TimeProvider clock)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, Window> _windows = new();

    public void Rejected(string partition, string method, Caller? caller)
    {
        var now = clock.GetUtcNow();
        var window = _windows.GetOrAdd(partition, _ => new Window());
        var refused = Interlocked.Increment(ref window.Refused);
        var last = Interlocked.Read(ref window.LoggedAtTicks);
        if (now.UtcTicks - last < Interval.Ticks || Interlocked.CompareExchange(ref window.LoggedAtTicks, now.UtcTicks, last) != last) return;
        Interlocked.Add(ref window.Refused, -refused);
        log.LogWarning("Rate limit: {Partition} ({Role}, tenant {TenantId}) was refused {Refused} request(s) since the last report (last: {Method})",
            partition, caller is null ? "anonymous" : EnumWords.ToWord(caller.Role), caller?.TenantId, refused, method);
        if (_windows.Count > 10_000) _windows.Clear();   // bounded: a report may be repeated early after a clear, never lost
    }

    private sealed class Window
    {
        public long Refused;
        public long LoggedAtTicks;
    }
}
