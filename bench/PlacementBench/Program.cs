using System.Diagnostics;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Inventory;
using IaasApi.Domain.Migrations;
using IaasApi.Domain.Placement;
using IaasApi.Domain.Reservations;

// The placement pipeline in-process (no database, no HTTP): how fast it decides, and how well it packs.
//   dotnet run -c Release --project bench/PlacementBench -- pipeline [decisions]
//   dotnet run -c Release --project bench/PlacementBench -- packing
//   dotnet run -c Release --project bench/PlacementBench -- reservations [checks]
//   dotnet run -c Release --project bench/PlacementBench -- precopy
var mode = args.FirstOrDefault() ?? "pipeline";
if (mode == "pipeline") Pipeline(args.Length > 1 ? int.Parse(args[1]) : 20_000);
else if (mode == "packing") Packing();
else if (mode == "reservations") Reservations(args.Length > 1 ? int.Parse(args[1]) : 2_000);
else if (mode == "precopy") PreCopyCalibration();
else Console.Error.WriteLine("modes: pipeline [decisions] | packing | reservations [checks] | precopy");
return;

// The capacity timeline at scale: 1,000 hosts (a third already running non-preemptible instances), 10,000 future
// reservations booked over the next 30 days through the same planner, then: the feasibility check a reservation
// create runs (which hosts take its slots over its window, or none), the earliest-window search a refusal runs, and
// the capacity timeline a GET /v1/capacity computes (7 days, hourly).
static void Reservations(int checks)
{
    var random = new Random(7);
    var now = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    var usable = new Resources(64, 262_144, 4_000, 25_000);
    var mix = SizeMix();
    var hosts = Enumerable.Range(0, 1_000).Select(_ => Ids.New()).Order().ToArray();
    var persistent = hosts.ToDictionary(h => h, _ => random.Next(3) == 0 ? new Resources(16, 65_536, 500, 0) : Resources.Zero);
    var slots = hosts.ToDictionary(h => h, _ => new List<Interval>());
    HostTimeline Timeline(Guid h) => new(h, usable, persistent[h], Resources.Zero, Resources.Zero, slots[h]);

    var booked = 0;
    var refused = 0;
    var setup = Stopwatch.StartNew();
    while (booked < 10_000)
    {
        var (demand, count, start, end) = RandomLease(random, mix, now);
        var timelines = hosts.Select(Timeline).ToList();
        var picks = CapacityPlanner.Assign(timelines, demand, count, start, end, random.Next(2) == 0 ? PlacementStrategy.Pack : PlacementStrategy.Spread);
        if (picks is null) { refused++; continue; }
        foreach (var h in picks) slots[h].Add(new Interval(start, end, demand));
        booked++;
    }
    var totalSlots = slots.Values.Sum(s => s.Count);
    Console.WriteLine($"booked 10,000 reservations ({totalSlots:N0} slots, {refused:N0} refused as full) on 1,000 hosts in {setup.Elapsed.TotalSeconds:F1} s");

    var all = hosts.Select(Timeline).ToList();
    var requests = Enumerable.Range(0, checks).Select(_ => RandomLease(random, mix, now)).ToArray();
    for (var i = 0; i < 200; i++) CapacityPlanner.Assign(all, requests[i].Demand, requests[i].Count, requests[i].Start, requests[i].End, PlacementStrategy.Pack);

    var feasible = 0;
    var check = new double[checks];
    for (var i = 0; i < checks; i++)
    {
        var (demand, count, start, end) = requests[i];
        var t0 = Stopwatch.GetTimestamp();
        if (CapacityPlanner.Assign(all, demand, count, start, end, i % 2 == 0 ? PlacementStrategy.Pack : PlacementStrategy.Spread) is not null) feasible++;
        check[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }
    Report("feasibility check (plan the slots of one reservation)", check, $"{100.0 * feasible / checks:F0}% feasible");

    var big = new Resources(32, 131_072, 1_000, 0);
    var earliest = new double[Math.Min(checks, 500)];
    for (var i = 0; i < earliest.Length; i++)
    {
        var (_, _, start, end) = requests[i];
        var t0 = Stopwatch.GetTimestamp();
        CapacityPlanner.EarliestStart(all, big, 400, start, end - start);
        earliest[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }
    Report("earliest window (a refused 400 × 32-vCPU request)", earliest, "");

    var series = new double[Math.Min(checks, 500)];
    for (var i = 0; i < series.Length; i++)
    {
        var from = now + TimeSpan.FromHours(random.Next(0, 24 * 23));
        var t0 = Stopwatch.GetTimestamp();
        CapacityView.Series(all, now, from, from + TimeSpan.FromDays(7), TimeSpan.FromHours(1));
        series[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    }
    Report("capacity timeline (7 days hourly, 169 points)", series, "");
}

static (Resources Demand, int Count, DateTimeOffset Start, DateTimeOffset End) RandomLease(Random random, Mix mix, DateTimeOffset now)
{
    var start = now + TimeSpan.FromMinutes(random.Next(0, 30 * 24 * 60));
    return (mix.Pick(random), random.Next(1, 5), start, start + TimeSpan.FromHours(random.Next(1, 49)));
}

static void Report(string what, double[] latencies, string note)
{
    Array.Sort(latencies);
    Console.WriteLine($"{what}: p50 {P(latencies, 50):F3} ms  p99 {P(latencies, 99):F3} ms  max {latencies[^1]:F3} ms  ({latencies.Length:N0} runs) {note}");
}

static void Pipeline(int decisions)
{
    foreach (var count in new[] { 1_000, 10_000 })
    {
        var random = new Random(42);
        var zones = Enumerable.Range(0, 10).Select(_ => Ids.New()).ToArray();
        var hosts = Enumerable.Range(0, count).Select(i => RandomHost(random, zones[i % zones.Length])).OrderBy(h => h.Id).ToArray();
        var flavors = SizeMix();
        foreach (var (label, scoped) in new[] { ("cloud-wide", false), ("one zone", true) })
        foreach (var threads in new[] { 1, Environment.ProcessorCount }.Distinct())
        {
            foreach (var strategy in new[] { PlacementStrategy.Spread, PlacementStrategy.Pack })
            {
                var requests = Enumerable.Range(0, 1024).Select(i =>
                {
                    var f = flavors.Pick(random);
                    return new PlacementRequest(f, strategy, scoped ? zones[i % zones.Length] : null)
                    {
                        RequiredTraits = i % 8 == 0 ? ["ssd"] : [],
                        RequiredCpuFeatures = i % 16 == 0 ? ["avx2"] : [],
                    };
                }).ToArray();
                var pipeline = new PlacementPipeline(PlacementPipeline.AllFilters, PlacementPipeline.AllWeighers) { Parallelism = threads };
                for (var i = 0; i < 2_000; i++) pipeline.Rank(requests[i % requests.Length], hosts, 10);   // warm-up (JIT, tiering)

                var latencies = new double[decisions];
                var found = 0;
                var total = Stopwatch.StartNew();
                for (var i = 0; i < decisions; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    if (pipeline.Rank(requests[i % requests.Length], hosts, 10).Found) found++;
                    latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
                total.Stop();
                Array.Sort(latencies);
                Console.WriteLine($"{count,6} hosts, {label,-10}, {threads} thread(s), {strategy.ToString().ToLowerInvariant(),-6}: {decisions / total.Elapsed.TotalSeconds,9:N0} decisions/s  " +
                                  $"p50 {P(latencies, 50):F3} ms  p99 {P(latencies, 99):F3} ms  max {latencies[^1]:F3} ms  ({100.0 * found / decisions:F0}% placed)");
            }
        }
    }
}

static void Packing()
{
    const int hostCount = 100;
    var capacity = new Resources(48, 196_608, 4_000, 25_000);   // 48 vCPUs, 192 GiB, 4 TB, 25 Gbps
    var mix = SizeMix();
    foreach (var fill in new[] { 0.3, 0.5, 0.7 })
    {
        foreach (var strategy in new[] { PlacementStrategy.Pack, PlacementStrategy.Spread })
        {
            var random = new Random(2026);
            var hosts = Enumerable.Range(0, hostCount).Select(_ => NewHost(capacity)).OrderBy(h => h.Id).ToArray();
            var placed = new List<Resources>();
            var target = new Resources((int)(capacity.Vcpus * hostCount * fill), (int)((long)capacity.MemoryMiB * hostCount * fill), 0, 0);
            Resources sum = default;
            while (sum.Vcpus < target.Vcpus && sum.MemoryMiB < target.MemoryMiB)
            {
                var demand = mix.Pick(random);
                if (!Place(hosts, demand, strategy)) break;
                placed.Add(demand);
                sum += demand;
            }
            var used = hosts.Count(h => h.InstanceCount > 0);
            var lowerBound = new[]
            {
                Math.Ceiling((double)sum.Vcpus / capacity.Vcpus), Math.Ceiling((double)sum.MemoryMiB / capacity.MemoryMiB),
                Math.Ceiling((double)sum.DiskGiB / capacity.DiskGiB),
            }.Max();
            Console.WriteLine($"fill {fill:P0} of the cloud, {strategy.ToString().ToLowerInvariant(),-6}: {placed.Count,5} VMs on {used,3} hosts, " +
                              $"lower bound {lowerBound,3}, ratio {used / lowerBound:F3}");
        }
    }

    // Until full: keep placing from the mix; after 200 consecutive refusals, measure what is left and cannot be used.
    foreach (var strategy in new[] { PlacementStrategy.Pack, PlacementStrategy.Spread })
    {
        var random = new Random(7);
        var hosts = Enumerable.Range(0, hostCount).Select(_ => NewHost(capacity)).OrderBy(h => h.Id).ToArray();
        int placed = 0, refusals = 0;
        while (refusals < 200)
        {
            if (Place(hosts, mix.Pick(random), strategy)) { placed++; refusals = 0; }
            else refusals++;
        }
        var smallest = mix.Smallest;
        // Stranded: free capacity on hosts where not even the smallest flavor fits any more.
        double strandedCpu = hosts.Where(h => !h.Fits(smallest)).Sum(h => h.FreeVcpus);
        double strandedMem = hosts.Where(h => !h.Fits(smallest)).Sum(h => h.FreeMemoryMiB);
        double freeCpu = hosts.Sum(h => h.FreeVcpus), freeMem = hosts.Sum(h => h.FreeMemoryMiB);
        Console.WriteLine($"until full, {strategy.ToString().ToLowerInvariant(),-6}: {placed} VMs; vCPU used {100 - 100 * freeCpu / (capacity.Vcpus * hostCount):F1}%, " +
                          $"memory used {100 - 100 * freeMem / ((double)capacity.MemoryMiB * hostCount):F1}%; stranded vCPU {100 * strandedCpu / (capacity.Vcpus * hostCount):F1}%, " +
                          $"stranded memory {100 * strandedMem / ((double)capacity.MemoryMiB * hostCount):F1}%");
    }
}

static bool Place(HostCandidate[] hosts, Resources demand, PlacementStrategy strategy)
{
    var result = PlacementPipeline.Default.Rank(new PlacementRequest(demand, strategy), hosts, 1);
    if (!result.Found) return false;
    var id = result.Ranked[0].Host.Id;
    var i = Array.FindIndex(hosts, h => h.Id == id);
    hosts[i] = hosts[i].WithClaim(demand);
    return true;
}

static HostCandidate NewHost(Resources capacity) =>
    new(Ids.New(), "h", Guid.Empty, Guid.Empty, "fake", HostState.Enabled, HostPower.On, capacity, Resources.Zero, AllocationRatios.Default,
        Resources.Zero, 0, null, [], [], new DriverCapabilities(true, true, true, true));

static HostCandidate RandomHost(Random random, Guid zone)
{
    var big = random.Next(4) == 0;
    var capacity = big ? new Resources(128, 1_048_576, 8_000, 100_000) : new Resources(48, 196_608, 4_000, 25_000);
    var usedFraction = random.NextDouble() * 0.9;
    var allocated = new Resources((int)(capacity.Vcpus * usedFraction), (int)(capacity.MemoryMiB * usedFraction * random.NextDouble()),
        (int)(capacity.DiskGiB * usedFraction * 0.5), 0);
    string[] traits = random.Next(2) == 0 ? ["ssd"] : ["hdd"];
    string[] features = random.Next(3) == 0 ? ["sse4_2", "aes"] : ["sse4_2", "aes", "avx", "avx2"];
    var state = random.Next(50) == 0 ? HostState.Disabled : HostState.Enabled;
    return new HostCandidate(Ids.New(), "h", zone, Guid.Empty, "fake", state, HostPower.On, capacity, new Resources(2, 4096, 50, 0),
        new AllocationRatios(2.0, 1.0, 1.0), allocated, (int)(usedFraction * 20), "Xeon", features, traits, new DriverCapabilities(true, true, true, true));
}

/// <summary>A realistic size mix: many small, some large; general, high-CPU and high-memory families.</summary>
static Mix SizeMix() => new(
[
    (new Resources(1, 2048, 20, 100), 30), (new Resources(2, 4096, 40, 100), 25), (new Resources(4, 8192, 80, 200), 12),
    (new Resources(8, 16384, 160, 500), 6), (new Resources(16, 16384, 80, 1000), 8), (new Resources(8, 8192, 80, 500), 6),
    (new Resources(4, 32768, 80, 200), 8), (new Resources(8, 65536, 160, 500), 5),
]);

static double P(double[] sorted, int p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];

// The pre-copy model against the live migrations measured with QEMU 7.2 (TCG, loopback, one vCPU; ../shared/qemu-guest).
// Inputs: touched = what the idle guest sent (61 MiB at 128 MiB, 68 MiB at 512 MiB) plus the workload's two tmpfs
// buffers; working set = the buffer it rewrites; dirty rate = the measured 130 MiB/s of its cat loop; switch-over 20 ms.
static void PreCopyCalibration()
{
    var cases = new (string Name, GuestMemory Guest, double Bandwidth, string Measured)[]
    {
        ("128 MiB idle, 128 MiB/s", new(128, 61, 1, 1), 128, "438 ms total, 34 ms down, 61 MiB sent, 3 syncs"),
        ("512 MiB idle, 128 MiB/s", new(512, 68, 1, 1), 128, "648 ms total, 21 ms down, 68 MiB sent, 3 syncs"),
        ("128 MiB dirtying 16 MiB, 128 MiB/s", new(128, 61 + 32, 16, 130), 128, "559 ms total, 56 ms down, 91 MiB sent, 3 syncs"),
        ("512 MiB dirtying 128 MiB, 128 MiB/s", new(512, 68 + 256, 128, 130), 128, "28.1 s, 74 syncs, expected downtime 424–447 ms; converged by luck"),
        ("512 MiB dirtying 128 MiB, 32 MiB/s", new(512, 68 + 256, 128, 130), 32, "no convergence in 40 s, expected downtime 4,255–4,766 ms"),
    };
    foreach (var (name, guest, bandwidth, measured) in cases)
    {
        var r = PreCopySimulation.Predict(guest, new MigrationLink(bandwidth, 20), ConvergencePolicy.Default with { Escalation = ConvergenceEscalation.Abort });
        var model = r.Outcome == PreCopyOutcome.Converged
            ? $"{r.TotalMs:F0} ms total, {r.DowntimeMs:F0} ms down, {r.TransferredMiB:F0} MiB sent, {r.Rounds.Count} round(s)"
            : $"{r.Outcome.ToString().ToLowerInvariant()} after {r.Rounds.Count} round(s) / {r.TotalMs / 1000:F1} s, expected downtime {r.Rounds[^1].ExpectedDowntimeMs:F0} ms";
        Console.WriteLine($"{name}\n  measured: {measured}\n  model:    {model}");
    }
}

internal sealed record Mix(IReadOnlyList<(Resources Size, int Weight)> Sizes)
{
    private readonly int _total = Sizes.Sum(s => s.Weight);

    public Resources Smallest => Sizes.MinBy(s => s.Size.Vcpus + s.Size.MemoryMiB / 1024).Size;

    public Resources Pick(Random random)
    {
        var n = random.Next(_total);
        foreach (var (size, weight) in Sizes)
        {
            if (n < weight) return size;
            n -= weight;
        }
        return Sizes[^1].Size;
    }
}
