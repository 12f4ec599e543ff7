using System.Diagnostics;
using System.Text.Json.Nodes;
using IaasApi.Infrastructure.Hypervisors.Qemu;

namespace IaasApi.Qemu.Tests;

/// <summary>
/// The tiny guest under TCG, and the QMP live-migration sequence the qemu driver will run: a destination started with
/// <c>-incoming defer</c>, <c>migrate-incoming</c> on it, <c>migrate</c> on the source, <c>query-migrate</c> polled
/// until completed; the guest's heartbeat carries on at the destination.
/// </summary>
public sealed class TinyGuestTests(QemuLab lab, ITestOutputHelper output)
{
    [Fact]
    public async Task TheGuestBoots_AndHeartbeats()
    {
        lab.RequireQemu();
        var watch = Stopwatch.StartNew();
        await using var vm = await lab.StartAsync(lab.Guest("boot"));
        await vm.WaitForHeartbeatAsync(1, TimeSpan.FromSeconds(60));
        output.WriteLine($"first heartbeat after {watch.Elapsed.TotalSeconds:F1} s");
        Assert.Contains("GUEST-UP", vm.Serial());
        Assert.Equal("running", await vm.StatusAsync());
    }

    [Fact]
    public async Task LiveMigration_OfAnIdleGuest_KeepsItsHeartbeatGoingOnTheDestination()
    {
        lab.RequireQemu();
        await using var source = await lab.StartAsync(lab.Guest("src"));
        await using var target = await lab.StartAsync(lab.Guest("dst", incoming: true));
        await source.WaitForHeartbeatAsync(2, TimeSpan.FromSeconds(60));
        Assert.Equal("inmigrate", await target.StatusAsync());

        var nonZero = GuestMemoryScan.NonZeroMiB(source.Pid, 128);               // what the model says round 1 must send
        var sampled = GuestMemoryScan.NonZeroMiB(source.Pid, 128, fullScanMiB: 0);   // as a large guest is measured
        var uri = $"tcp:127.0.0.1:{QemuProcess.FreeLoopbackPort()}";
        await source.Qmp.ExecuteAsync("migrate-set-parameters", new JsonObject { ["downtime-limit"] = 300 });
        await target.Qmp.ExecuteAsync("migrate-incoming", new { uri });
        var watch = Stopwatch.StartNew();
        await source.Qmp.ExecuteAsync("migrate", new { uri });
        var done = await source.WaitForMigrationAsync(TimeSpan.FromSeconds(60), default, "completed", "failed", "cancelled");
        var endToEnd = watch.Elapsed.TotalMilliseconds;
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        var total = done["total-time"]!.GetValue<long>();
        var downtime = done["downtime"]!.GetValue<long>();
        output.WriteLine($"idle 128 MiB guest: QEMU total-time {total} ms, downtime {downtime} ms, end to end {endToEnd:F0} ms, " +
                         $"{done["ram"]?["transferred"]} bytes sent");
        Assert.InRange(downtime, 0, 2000);
        // QEMU sent in full the pages that were not zero (ram.normal): the scan of the guest's memory knew how many.
        var sentWhole = done["ram"]!["normal"]!.GetValue<long>() * 4096 / (1024.0 * 1024);
        output.WriteLine($"non-zero memory scanned before: {nonZero:F1} MiB (sampled: {sampled:F1} MiB); QEMU sent {sentWhole:F1} MiB of whole pages");
        Assert.NotNull(nonZero);
        Assert.InRange(nonZero!.Value, sentWhole * 0.85, sentWhole * 1.15);
        Assert.InRange(sampled!.Value, nonZero.Value - 128 * 0.03, nonZero.Value + 128 * 0.03);   // 16,384 pages: within 3 % of the memory

        Assert.Equal("postmigrate", await source.StatusAsync());
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await target.StatusAsync() != "running" && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal("running", await target.StatusAsync());
        // The serial log is per process: the destination's console shows the guest's counter carrying on from the source's.
        var before = source.LastHeartbeat();
        var after = await target.WaitForHeartbeatAsync(before + 1, TimeSpan.FromSeconds(30));
        output.WriteLine($"heartbeat {before} on the source, {after} on the destination");
    }
}
