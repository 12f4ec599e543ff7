using IaasApi.Infrastructure.Hypervisors.Qemu;

namespace IaasApi.Qemu.Tests;

/// <summary>
/// The QMP client against real QEMU (TCG): the handshake, commands and their errors, concurrent commands matched to
/// their answers by id, events, and a QEMU that goes away. A paused VM (<c>-S</c>) needs no boot, so these are quick.
/// </summary>
public sealed class QmpClientTests(QemuLab lab, ITestOutputHelper output)
{
    [Fact]
    public async Task Handshake_Commands_Errors_AndEvents()
    {
        lab.RequireQemu();
        await using var vm = await lab.StartAsync(lab.Guest("qmp", paused: true));
        var version = vm.Qmp.Greeting["version"]!["qemu"]!;
        output.WriteLine($"QEMU {version["major"]}.{version["minor"]}.{version["micro"]}");
        Assert.True(version["major"]!.GetValue<int>() >= 7);
        Assert.Equal("prelaunch", await vm.StatusAsync());

        var since = DateTimeOffset.UtcNow;
        await vm.Qmp.ExecuteAsync("cont");
        await vm.Qmp.WaitForEventAsync("RESUME", TimeSpan.FromSeconds(5), after: since);
        Assert.Equal("running", await vm.StatusAsync());
        await vm.Qmp.ExecuteAsync("stop");
        await vm.Qmp.WaitForEventAsync("STOP", TimeSpan.FromSeconds(5));
        Assert.Equal("paused", await vm.StatusAsync());

        var unknown = await Assert.ThrowsAsync<QmpException>(() => vm.Qmp.ExecuteAsync("no-such-command"));
        Assert.Equal("CommandNotFound", unknown.ErrorClass);
        var bad = await Assert.ThrowsAsync<QmpException>(() => vm.Qmp.ExecuteAsync("migrate-set-parameters", new { downtimeLimit = "soon" }));
        Assert.Equal("GenericError", bad.ErrorClass);

        // Many at once: every answer reaches its own caller.
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => i % 2 == 0
            ? vm.Qmp.ExecuteAsync("query-status")
            : vm.Qmp.ExecuteAsync("query-name")));
        for (var i = 0; i < answers.Length; i++)
            Assert.Equal(i % 2 == 0 ? "paused" : "qmp", i % 2 == 0 ? answers[i]!["status"]!.GetValue<string>() : answers[i]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task AQemuThatQuits_FailsWhatWaits_AsDisconnected()
    {
        lab.RequireQemu();
        await using var vm = await lab.StartAsync(lab.Guest("gone", paused: true));
        await vm.Qmp.ExecuteAsync("quit");
        await vm.Qmp.WaitForEventAsync("SHUTDOWN", TimeSpan.FromSeconds(5));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (vm.Qmp.IsConnected && DateTime.UtcNow < deadline) await Task.Delay(20);
        var lost = await Assert.ThrowsAsync<QmpException>(() => vm.Qmp.ExecuteAsync("query-status"));
        Assert.Equal("Disconnected", lost.ErrorClass);
    }
}
