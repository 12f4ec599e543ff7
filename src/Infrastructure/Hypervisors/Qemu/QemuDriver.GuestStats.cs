using System.Text.Json.Nodes;
using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;

namespace IaasApi.Infrastructure.Hypervisors.Qemu;

public sealed partial class QemuDriver
{
    /// <summary>
    /// What pre-copy will have to send and chase: the guest's non-zero memory (<see cref="GuestMemoryScan"/>: QEMU sends zero
    /// pages as a flag) and the memory it dirties in a second, sampled by QEMU (<c>calc-dirty-rate</c>, page-sampling: distinct
    /// pages, so a guest rewriting one buffer shows that buffer — its writable working set — however often it rewrites it).
    /// </summary>
    public async Task<GuestMemory> GetGuestMemoryAsync(HostRef host, Guid instanceId, CancellationToken ct)
    {
        var vm = RunningOn(host, instanceId);
        var memory = Read(VmDirectory(host, instanceId)).MemoryMiB;
        var touched = Math.Clamp(GuestMemoryScan.NonZeroMiB(vm.Pid, memory) ?? memory / 2.0, 0, memory);
        await vm.Qmp.ExecuteAsync("calc-dirty-rate", new JsonObject { ["calc-time"] = 1, ["sample-pages"] = 4096 }, ct);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var rate = (await vm.Qmp.ExecuteAsync("query-dirty-rate", null, ct))?.AsObject();
            if (rate?["status"]?.GetValue<string>() == "measured")
            {
                var dirty = Math.Max(1, rate["dirty-rate"]?.GetValue<double>() ?? 1);
                return new GuestMemory(memory, touched, Math.Min(memory, dirty), dirty);
            }
            if (DateTime.UtcNow > deadline) return GuestMemory.Idle(memory) with { TouchedMiB = touched };
            await Task.Delay(100, ct);
        }
    }
}
