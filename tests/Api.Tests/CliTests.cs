using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;
using IaasApi.Cli;

namespace IaasApi.Api.Tests;

/// <summary>
/// <c>iaas</c> against the running control plane (in-process, every answer contract-checked): profiles, tables and
/// JSON, the catalog's create/list/delete, an instance's life cycle with progress bars, a migration and a drain followed
/// to their ends, and the exit codes scripts rely on.
/// </summary>
public sealed class CliTests(ApiFactory api) : IDisposable
{
    private readonly string _config = Path.Combine(Directory.CreateTempSubdirectory("iaas-cli-").FullName, "config.json");

    private async Task<(int Exit, string Out, string Err)> IaasAsync(string? apiKey, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var environment = new Dictionary<string, string?> { ["IAAS_CONFIG"] = _config, ["IAAS_API_KEY"] = apiKey, ["IAAS_ENDPOINT"] = "http://localhost" };
        var cli = new CliApp(stdout, stderr, name => environment.GetValueOrDefault(name),
                             new ContractCheck(api.Contract) { InnerHandler = api.Server.CreateHandler() });
        var exit = await cli.RunAsync([.. args, "--poll-ms", "20", "--timeout", "30"]);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Profiles_AreSaved_Masked_AndChosenByFlagEnvOrCurrent()
    {
        var (exit, _, _) = await IaasAsync(null, "profile", "set", "lab", "--endpoint", "http://127.0.0.1:5000", "--api-key", ApiFactory.AdminKey);
        Assert.Equal(0, exit);
        Assert.Equal(0, (await IaasAsync(null, "profile", "set", "other", "--endpoint", "http://127.0.0.1:6000")).Exit);
        var list = await IaasAsync(null, "profile", "list");
        Assert.Contains("lab", list.Out);
        Assert.DoesNotContain(ApiFactory.AdminKey, list.Out);   // keys are masked
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_config));

        // The first profile saved is current; the env var's key wins over the profile's.
        var shown = JsonNode.Parse((await IaasAsync("iaas_from-env-0123456789", "profile", "show", "-o", "json")).Out)!;
        Assert.Equal("lab", shown["profile"]!.GetValue<string>());
        Assert.StartsWith("iaas_fro", shown["apiKey"]!.GetValue<string>());
        Assert.Equal(2, (await IaasAsync(null, "me", "--profile", "nope")).Exit);
    }

    [Fact]
    public async Task Catalog_CreateListShowDelete_InTablesAndJson()
    {
        var name = TestCloud.Unique("cli-flavor");
        var created = await IaasAsync(ApiFactory.AdminKey, "flavors", "create", "--set", $"name={name}", "--set", "vcpus=2", "--set", "memoryMiB=1024",
                                      "--set", "diskGiB=10", "-o", "json");
        Assert.True(created.Exit == 0, created.Err);
        var id = JsonNode.Parse(created.Out)!["id"]!.GetValue<string>();

        var table = await IaasAsync(ApiFactory.AdminKey, "flavors", "list", "--filter", $"name={name}");
        Assert.Equal(0, table.Exit);
        var lines = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id ", lines[0]);
        Assert.Contains("memoryMiB", lines[0]);   // headed by the JSON names -o json prints and --filter takes
        Assert.Contains(name, lines[1]);
        var json = JsonNode.Parse((await IaasAsync(ApiFactory.AdminKey, "flavors", "show", id, "-o", "json")).Out)!;
        Assert.Equal(2, json["vcpus"]!.GetValue<int>());

        // Bad input: a problem on stderr and exit 1, nothing created; a usage error is exit 2.
        var invalid = await IaasAsync(ApiFactory.AdminKey, "flavors", "create", "--set", "name=x", "--set", "vcpus=0", "--set", "memoryMiB=1", "--set", "diskGiB=1");
        Assert.Equal(1, invalid.Exit);
        Assert.Contains("400", invalid.Err);
        Assert.Contains("vcpus", invalid.Err);
        var filter = await IaasAsync(ApiFactory.AdminKey, "flavors", "list", "--filter", "colour=red");
        Assert.Equal(2, filter.Exit);
        Assert.Contains("name", filter.Err);   // names the filters it takes
        Assert.Equal(2, (await IaasAsync(ApiFactory.AdminKey, "flavors", "show", "not-an-id")).Exit);

        Assert.Equal(0, (await IaasAsync(ApiFactory.AdminKey, "flavors", "delete", id)).Exit);
        var gone = await IaasAsync(ApiFactory.AdminKey, "flavors", "show", id);
        Assert.Equal(1, gone.Exit);
        Assert.Contains("404", gone.Err);
    }

    [Fact]
    public async Task Instance_LifeCycle_WithProgressBars_AndMigrationAndDrainFollowedToTheirEnds()
    {
        var cloud = await api.SeedAsync(hosts: 2);
        var flavor = (await api.Admin().GetJson($"/v1/flavors/{cloud.FlavorId}"))["name"]!.GetValue<string>();
        var image = (await api.Admin().GetJson($"/v1/images/{cloud.ImageId}"))["name"]!.GetValue<string>();

        // Names or ids; --wait follows the create's operation with a progress bar on stderr and exits 0 when it runs.
        var created = await IaasAsync(cloud.TenantKey, "instances", "create", "--name", "cli-vm", "--flavor", flavor, "--image", image,
                                      "--plan", cloud.PlanId.ToString(), "--zone", cloud.ZoneId.ToString(),
                                      "--idempotency-key", Guid.NewGuid().ToString(), "--wait");
        Assert.True(created.Exit == 0, created.Err);
        Assert.Matches(@"\[#{30}\] 100%  instance\.create succeeded", created.Err);
        var id = created.Out.Split('\n').Single(l => l.StartsWith("id ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Equal("running", (await api.Admin().GetJson($"/v1/instances/{id}"))["status"]!.GetValue<string>());
        Assert.Contains(created.Out.Split('\n'), l => l.StartsWith("operationId ", StringComparison.Ordinal));

        var stopped = await IaasAsync(cloud.TenantKey, "instances", "stop", id, "--wait");
        Assert.True(stopped.Exit == 0, stopped.Err);
        Assert.Contains("instance.stop succeeded", stopped.Err);

        // A cold migration (admin), followed stage by stage to completion.
        var migrated = await IaasAsync(ApiFactory.AdminKey, "instances", "migrate", id, "--type", "cold", "--bandwidth-mbps", "100000", "--wait");
        Assert.True(migrated.Exit == 0, migrated.Err);
        Assert.Contains("cold migration completed", migrated.Err);
        Assert.Contains("(copy-disks)", migrated.Err);

        // Draining the now-empty source host: its operation followed to the end.
        var drained = await IaasAsync(ApiFactory.AdminKey, "hosts", "drain", cloud.HostIds[0].ToString(), "--wait");
        Assert.True(drained.Exit == 0, drained.Err);
        Assert.Equal(0, (await IaasAsync(ApiFactory.AdminKey, "hosts", "undrain", cloud.HostIds[0].ToString())).Exit);

        var deleted = await IaasAsync(cloud.TenantKey, "instances", "delete", id, "--wait");
        Assert.True(deleted.Exit == 0, deleted.Err);
        Assert.Contains("instance.delete succeeded", deleted.Err);
        var list = await IaasAsync(cloud.TenantKey, "instances", "list", "--filter", "status=deleted", "-o", "json");
        Assert.Contains(JsonNode.Parse(list.Out)!.AsArray(), i => i!["id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task Keys_Overview_Queue_AndCapacity()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenant = (await api.Admin().GetJson($"/v1/tenants/{cloud.TenantId}"))["name"]!.GetValue<string>();

        // A tenant key made by name: its secret once, then it works; revoked, it is refused (exit 1, 401).
        var created = await IaasAsync(ApiFactory.AdminKey, "keys", "create", "--tenant", tenant, "--name", "ci", "-o", "json");
        Assert.True(created.Exit == 0, created.Err);
        var key = JsonNode.Parse(created.Out)!;
        var secret = key["key"]!.GetValue<string>();
        Assert.Contains("tenant", (await IaasAsync(secret, "me")).Out);
        var listed = await IaasAsync(ApiFactory.AdminKey, "keys", "list", "--tenant", cloud.TenantId.ToString());
        Assert.Contains(key["id"]!.GetValue<string>(), listed.Out);
        Assert.DoesNotContain(secret, listed.Out);
        Assert.Equal(0, (await IaasAsync(ApiFactory.AdminKey, "keys", "revoke", key["id"]!.GetValue<string>(), "--tenant", tenant)).Exit);
        var refused = await IaasAsync(secret, "me");
        Assert.Equal(1, refused.Exit);
        Assert.Contains("401", refused.Err);

        Assert.Equal(0, (await IaasAsync(ApiFactory.AdminKey, "overview")).Exit);
        Assert.Equal(0, (await IaasAsync(ApiFactory.AdminKey, "queue", "--zone", cloud.ZoneId.ToString())).Exit);
        var now = api.Clock.GetUtcNow();   // the control plane's clock (earlier tests move it past the wall clock)
        var capacity = await IaasAsync(cloud.TenantKey, "capacity", "--zone", cloud.ZoneId.ToString(), "--step", "PT30M",
                                       "--from", now.ToString("O"), "--to", now.AddHours(2).ToString("O"));
        Assert.True(capacity.Exit == 0, capacity.Err);
        Assert.StartsWith("at ", capacity.Out);
        Assert.InRange(capacity.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, 4, 7);   // a point per half hour
    }

    [Fact]
    public async Task Update_Restore_ResetState_History_Planners_AndPreviews()
    {
        var cloud = await api.SeedAsync(hosts: 2);

        // update: a merge patch of the fields given; a stale --if-match is refused (exit 1, 412) and changes nothing.
        var renamed = TestCloud.Unique("cli-renamed");
        var updated = await IaasAsync(ApiFactory.AdminKey, "flavors", "update", cloud.FlavorId.ToString(), "--set", $"name={renamed}", "-o", "json");
        Assert.True(updated.Exit == 0, updated.Err);
        Assert.Equal(renamed, JsonNode.Parse(updated.Out)!["name"]!.GetValue<string>());
        var stale = await IaasAsync(ApiFactory.AdminKey, "flavors", "update", cloud.FlavorId.ToString(), "--set", "name=other", "--if-match", "\"0\"");
        Assert.Equal(1, stale.Exit);
        Assert.Contains("412", stale.Err);
        Assert.Equal(renamed, (await api.Admin().GetJson($"/v1/flavors/{cloud.FlavorId}"))["name"]!.GetValue<string>());

        // restore from a snapshot named, followed; reset-state with a reason; both in the instance's history.
        var tenant = api.Client(cloud.TenantKey);
        var vm = (await tenant.CreateInstanceAsync(cloud))["id"]!.GetValue<Guid>();
        await tenant.WaitForStatusAsync(vm, "running");
        var snapshot = TestCloud.Unique("cli-snap");
        var taken = await IaasAsync(cloud.TenantKey, "snapshots", "create", "--set", $"instanceId={vm}", "--set", $"name={snapshot}", "--wait");
        Assert.True(taken.Exit == 0, taken.Err);
        var restored = await IaasAsync(cloud.TenantKey, "instances", "restore", vm.ToString(), "--snapshot", snapshot, "--wait");
        Assert.True(restored.Exit == 0, restored.Err);
        Assert.Contains("succeeded", restored.Err);
        var reset = await IaasAsync(ApiFactory.AdminKey, "instances", "reset-state", vm.ToString(), "--status", "error", "--reason", "cli test");
        Assert.True(reset.Exit == 0, reset.Err);
        Assert.Equal("error", await tenant.StatusAsync(vm));
        var history = await IaasAsync(cloud.TenantKey, "instances", "history", vm.ToString());
        Assert.True(history.Exit == 0, history.Err);
        Assert.StartsWith("at ", history.Out);
        Assert.Contains("restore", history.Out);
        Assert.Contains("reset-state", history.Out);
        Assert.Equal(2, (await IaasAsync(ApiFactory.AdminKey, "instances", "reset-state", vm.ToString(), "--status", "sideways")).Exit);

        // Planners (a plan; an execution followed), the placement and migration dry runs, the scheduler's counters.
        await IaasAsync(ApiFactory.AdminKey, "instances", "reset-state", vm.ToString(), "--status", "running");
        var rebalance = await IaasAsync(ApiFactory.AdminKey, "planners", "rebalance", "--zone", cloud.ZoneId.ToString(), "-o", "json");
        Assert.True(rebalance.Exit == 0, rebalance.Err);
        Assert.Equal(2, JsonNode.Parse(rebalance.Out)!["hostsConsidered"]!.GetValue<int>());
        var preview = await IaasAsync(ApiFactory.AdminKey, "placement", "preview", "--flavor", renamed, "--image", cloud.ImageId.ToString(),
                                      "--plan", cloud.PlanId.ToString(), "--zone", cloud.ZoneId.ToString());
        Assert.True(preview.Exit == 0, preview.Err);
        Assert.Contains("host-state: 2 → 2 hosts", preview.Out);   // the filters, step by step, then both hosts ranked
        Assert.Contains(cloud.HostIds[1].ToString(), preview.Out);
        Assert.Contains(cloud.HostIds[0].ToString(), preview.Out);
        var migration = await IaasAsync(ApiFactory.AdminKey, "migrations", "preview", vm.ToString(), "-o", "json");
        Assert.True(migration.Exit == 0, migration.Err);
        Assert.Equal(vm, JsonNode.Parse(migration.Out)!["instanceId"]!.GetValue<Guid>());
        Assert.Equal(0, (await IaasAsync(ApiFactory.AdminKey, "placement", "stats")).Exit);
        Assert.Equal(1, (await IaasAsync(cloud.TenantKey, "planners", "rebalance", "--zone", cloud.ZoneId.ToString())).Exit);   // admin only
        // Last: consolidation packs the zone and powers the freed host off.
        var consolidated = await IaasAsync(ApiFactory.AdminKey, "planners", "consolidation", "--zone", cloud.ZoneId.ToString(), "--execute", "--wait");
        Assert.True(consolidated.Exit == 0, consolidated.Err);
        Assert.Contains("succeeded", consolidated.Err);
    }

    [Fact]
    public async Task Completion_IsSuggestedByTheCliItself_AndTheBashScriptAsksItForTheWordAtTheCursor()
    {
        var suggestions = new StringWriter();
        Assert.Equal(0, await new CliApp(suggestions, new StringWriter(), _ => null).RunAsync(["[suggest:13]", "instances res"]));
        Assert.Equal(["reset-state", "restore"], suggestions.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));

        var script = await IaasAsync(null, "completion", "bash");
        Assert.Equal(0, script.Exit);
        Assert.Contains("complete -o default -F _iaas_complete iaas", script.Out);
        Assert.Equal(2, (await IaasAsync(null, "completion", "fish")).Exit);
        if (OperatingSystem.IsWindows()) return;

        // The script in a real bash, with `iaas` standing in to record what it is asked and answer from the CLI's words.
        var dir = Directory.CreateTempSubdirectory("iaas-completion-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "completion.bash"), script.Out);
            var probe = """
                iaas() { printf '%s|' "$@" > "$DIR/asked"; printf 'reset-state\nrestore\n'; }
                source "$DIR/completion.bash"
                COMP_LINE="iaas instances res"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(iaas instances res); COMP_CWORD=2
                _iaas_complete; echo "${COMPREPLY[*]}"
                """;
            var start = new System.Diagnostics.ProcessStartInfo("bash", ["-c", probe]) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["DIR"] = dir;
            using var bash = System.Diagnostics.Process.Start(start)!;
            var output = await bash.StandardOutput.ReadToEndAsync();
            await bash.WaitForExitAsync();
            Assert.True(bash.ExitCode == 0, await bash.StandardError.ReadToEndAsync());
            Assert.Equal("reset-state restore", output.Trim());
            Assert.Equal("[suggest:13]|instances res|", File.ReadAllText(Path.Combine(dir, "asked")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task FailedWork_Exits3_WithTheReason_AndAnUnreachableEndpoint_Exits5()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var fault = await api.Admin().PostAsJsonAsync("/v1/simulation/faults",
            new { operation = "spawn", hostId = cloud.HostIds[0], transient = false, message = "image checksum mismatch" });
        Assert.Equal(HttpStatusCode.Created, fault.StatusCode);
        try
        {
            var failed = await IaasAsync(cloud.TenantKey, "instances", "create", "--name", "doomed", "--flavor", cloud.FlavorId.ToString(),
                                         "--image", cloud.ImageId.ToString(), "--plan", cloud.PlanId.ToString(),
                                         "--zone", cloud.ZoneId.ToString(), "--wait");
            Assert.True(failed.Exit == 3, $"exit {failed.Exit}\n{failed.Out}\n{failed.Err}");
            Assert.Contains("instance.create failed", failed.Err);
            Assert.Contains("image checksum mismatch", failed.Err);
        }
        finally
        {
            api.Fake.ClearFaults();
        }

        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var offline = new CliApp(stdout, stderr, name => name == "IAAS_CONFIG" ? _config : null);
        Assert.Equal(5, await offline.RunAsync(["me", "--endpoint", "http://127.0.0.1:1", "--api-key", "k"]));
        Assert.Contains("Cannot reach http://127.0.0.1:1", stderr.ToString());
    }

    public void Dispose()
    {
        try { Directory.Delete(Path.GetDirectoryName(_config)!, recursive: true); } catch (IOException) { }
    }
}
