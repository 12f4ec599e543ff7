using Host = IaasApi.Domain.Inventory.Host;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Tenancy;
using IaasApi.Infrastructure;
using IaasApi.Infrastructure.Operations;
using IaasApi.Infrastructure.Security;

namespace IaasApi.Api.Startup;

/// <summary>Start-up work: the migrate verb, migrate-on-start, the bootstrap admin key and embedded demo data.</summary>
public static class Bootstrap
{
    /// <summary>
    /// The configured <c>Iaas:BootstrapAdminKey</c>; in embedded mode without one, the key kept in
    /// <c>&lt;data&gt;/admin-key</c>, generated on first start. Embedded mode prints it (a local, single-user setup).
    /// </summary>
    public static string? ResolveAdminKey(IaasOptions options, DatabaseMode mode)
    {
        if (!string.IsNullOrWhiteSpace(options.BootstrapAdminKey)) return options.BootstrapAdminKey.Trim();
        if (!mode.IsEmbedded) return null;
        var path = Path.Combine(Path.GetDirectoryName(mode.SqlitePath)!, "admin-key");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string key;
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } stored)
        {
            key = stored;
        }
        else
        {
            key = ApiKeySecrets.Generate().Key;
            File.WriteAllText(path, key + Environment.NewLine);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        Console.WriteLine($"Admin API key: {key}");
        Console.WriteLine($"  (kept in {path}; set Iaas:BootstrapAdminKey to choose your own)");
        return key;
    }

    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct = default)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<IaasDbContext>();
        if (await SquashedHistory.AdoptAsync(db, ct))
            Console.WriteLine("Schema history: this database's pre-2026-12-07 migrations are now recorded as the squashed Initial.");
        await db.Database.MigrateAsync(ct);
        if (db.IsSqlite)
        {
            // WAL: readers never block the single writer; the setting persists in the database file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
    }

    /// <summary>Queues the in-process Hangfire server serves: control, plus the agent queue of every qemu host known now.</summary>
    public static IReadOnlyList<string> AllQueues(IServiceProvider sp)
    {
        using var scope = sp.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<IaasDbContext>();
        List<string> hostQueues;
        try
        {
            hostQueues = db.Hosts.AsNoTracking().Where(h => h.Hypervisor == "qemu").Select(h => h.Name).ToList()
                .Select(JobDispatcher.HostQueue).ToList();
        }
        catch (Exception)
        {
            hostQueues = [];   // not migrated yet (readiness will say so)
        }
        return [JobDispatcher.ControlQueue, .. hostQueues];
    }

    /// <summary>Embedded demo inventory, seeded once into an empty database: a cloud to try in five minutes.</summary>
    public static async Task SeedDemoDataAsync(IServiceProvider services, string dataDirectory, CancellationToken ct = default)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<IaasDbContext>();
        if (await db.Regions.AnyAsync(ct)) return;
        var now = db.Clock.GetUtcNow();

        var region = new Region("demo-region", now);
        var zoneA = new Zone("zone-a", region.Id, now);
        var zoneB = new Zone("zone-b", region.Id, now);
        db.AddRange(region, zoneA, zoneB);
        string[] features = ["sse4_2", "avx", "avx2", "aes"];
        (string Name, Zone Zone, int Vcpus, int MemoryMiB, string[] Traits)[] hosts =
        [
            ("compute-a1", zoneA, 32, 131072, ["ssd"]), ("compute-a2", zoneA, 32, 131072, ["ssd"]),
            ("compute-a3", zoneA, 64, 262144, ["ssd", "gpu"]), ("compute-b1", zoneB, 32, 131072, []), ("compute-b2", zoneB, 32, 131072, []),
        ];
        foreach (var h in hosts)
            db.Hosts.Add(new Host(h.Name, h.Zone.Id, region.Id, "fake", new Resources(h.Vcpus, h.MemoryMiB, 2000, 25000),
                new Resources(2, 4096, 50, 0), new AllocationRatios(4.0, 1.0, 1.0), "Intel Xeon Gold 6338", features, h.Traits, now));

        (string Name, int Vcpus, int MemoryMiB, int DiskGiB, FlavorFamily Family)[] flavors =
        [
            ("small", 1, 2048, 20, FlavorFamily.General), ("medium", 2, 4096, 40, FlavorFamily.General),
            ("large", 4, 8192, 80, FlavorFamily.General), ("xlarge", 8, 16384, 160, FlavorFamily.General),
            ("c1.xlarge", 16, 16384, 80, FlavorFamily.Compute), ("m1.xlarge", 4, 65536, 80, FlavorFamily.Memory),
        ];
        foreach (var f in flavors)
            db.Flavors.Add(new Flavor(f.Name, new Resources(f.Vcpus, f.MemoryMiB, f.DiskGiB, 1000), f.Family, now));
        var gpu = new Flavor("g1.large", new Resources(8, 32768, 200, 1000), FlavorFamily.Compute, now);
        gpu.SetHints(new PlacementHints(null, ["avx2"], ["gpu"], []), inUse: false);   // lands on compute-a3 only
        db.Flavors.Add(gpu);

        db.Images.AddRange(
            new Image("ubuntu-24.04", "ubuntu", ImageFormat.Qcow2, 10, 2560, now),
            new Image("debian-12", "debian", ImageFormat.Qcow2, 8, 1536, now),
            new Image("alpine-3.20", "alpine", ImageFormat.Raw, 1, 128, now));

        db.SlaPlans.AddRange(
            Plan("gold", 900, [ProvisioningScheme.Immediate, ProvisioningScheme.Reservation], false, PlacementStrategy.Spread, 99.95, 120, 0.50m, 25,
                 [CapabilityNames.LiveMigration]),
            Plan("silver", 500, [ProvisioningScheme.Immediate, ProvisioningScheme.BestEffort, ProvisioningScheme.Reservation], false,
                 PlacementStrategy.Spread, 99.9, 300, 0.25m, 10),
            Plan("bronze", 100, [ProvisioningScheme.Immediate, ProvisioningScheme.BestEffort], true, PlacementStrategy.Pack, 99.0, 900, 0.10m, 0));

        var tenant = new Tenant("demo", new Quotas(20, 80, 262144), now);
        db.Tenants.Add(tenant);
        var (key, hash, prefix) = ApiKeySecrets.Generate();
        db.ApiKeys.Add(new ApiKey(Role.Tenant, tenant.Id, "demo", hash, prefix, now));
        await db.SaveChangesAsync(ct);

        var path = Path.Combine(dataDirectory, "demo-tenant-key");
        await File.WriteAllTextAsync(path, key + Environment.NewLine, ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Console.WriteLine($"Demo tenant API key: {key}");
        Console.WriteLine($"  (kept in {path})");

        SlaPlan Plan(string name, int priority, List<ProvisioningScheme> schemes, bool preemptible, PlacementStrategy strategy,
                     double availability, int maxSeconds, decimal price, double penalty, List<string>? capabilities = null) =>
            new(name, now)
            {
                Priority = priority, Schemes = schemes, Preemptible = preemptible, PlacementStrategy = strategy,
                AvailabilityTarget = availability, MaxProvisioningSeconds = maxSeconds, PricePerHour = price, PenaltyPercent = penalty,
                RequiredCapabilities = capabilities ?? [],
            };
    }
}
