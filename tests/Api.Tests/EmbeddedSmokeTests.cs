using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// The README's run command, as a fresh machine runs it: the real Api process with no configuration — embedded SQLite,
/// in-memory Hangfire, fake driver, demo data, a printed admin key — and a VM created over HTTP reaching running.
/// A separate process, so its in-memory Hangfire never meets the PostgreSQL one of the other tests.
/// </summary>
public sealed class EmbeddedSmokeTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("iaas-embedded-").FullName;

    [Fact]
    public async Task EmbeddedMode_ServesSwagger_AndRunsAVm_WithNoConfiguration()
    {
        string adminKey, tenantKey;
        Guid instanceId;
        using (var api = await EmbeddedApi.StartAsync(_dataDir))
        {
            adminKey = api.Line("Admin API key: ");
            tenantKey = api.Line("Demo tenant API key: ");
            Assert.Equal(adminKey, (await File.ReadAllTextAsync(Path.Combine(_dataDir, "admin-key"))).Trim());
            Assert.True(File.Exists(Path.Combine(_dataDir, "iaas.db")));

            var http = api.Client(null);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/swagger/index.html")).StatusCode);
            Assert.Equal("sqlite", (await http.GetJson("/readyz")).Str("database"));

            var tenant = api.Client(tenantKey);
            var flavor = (await tenant.GetJson("/v1/flavors?name=small"))["items"]![0]!.Id();
            var image = (await tenant.GetJson("/v1/images?name=debian-12"))["items"]![0]!.Id();
            var plan = (await tenant.GetJson("/v1/sla-plans?name=silver"))["items"]![0]!.Id();
            var zones = (await tenant.GetJson("/v1/zones"))["items"]!.AsArray();
            Assert.Equal(2, zones.Count);
            Assert.True((await api.Client(adminKey).GetJson("/v1/hosts"))["items"]!.AsArray().Count >= 4);
            Assert.True((await tenant.GetJson("/v1/flavors"))["items"]!.AsArray().Count >= 6);

            var stopwatch = Stopwatch.StartNew();
            var create = await tenant.PostAsJsonAsync("/v1/instances", new { name = "smoke-1", flavorId = flavor, imageId = image, slaPlanId = plan });
            instanceId = (await create.ExpectAsync(HttpStatusCode.Accepted)).Id();
            await tenant.WaitForStatusAsync(instanceId, "running", timeoutMs: 10000);
            stopwatch.Stop();
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
        }

        // A restart keeps everything: the same key, no second seed, and the VM (fake driver state is on disk too).
        using (var again = await EmbeddedApi.StartAsync(_dataDir))
        {
            Assert.Equal(adminKey, again.Line("Admin API key: "));
            Assert.False(again.Printed("Demo tenant API key: "));
            var tenant = again.Client(tenantKey);
            Assert.Equal("running", (await tenant.GetJson($"/v1/instances/{instanceId}")).Str("status"));
            var stop = await tenant.PostAsync($"/v1/instances/{instanceId}/actions/stop", null);
            await stop.ExpectAsync(HttpStatusCode.Accepted);
            await tenant.WaitForStatusAsync(instanceId, "stopped", timeoutMs: 10000);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    private sealed class EmbeddedApi : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _output = [];
        private readonly string _baseUrl;

        private EmbeddedApi(Process process, string baseUrl)
        {
            _process = process;
            _baseUrl = baseUrl;
        }

        public static async Task<EmbeddedApi> StartAsync(string dataDir)
        {
            var port = FreePort();
            var dll = ApiDll();
            var start = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
            {
                WorkingDirectory = dataDir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment.Remove("ConnectionStrings__Postgres");
            start.Environment["Iaas__DataDirectory"] = dataDir;
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            var process = Process.Start(start)!;
            var api = new EmbeddedApi(process, $"http://127.0.0.1:{port}");
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (api._output) api._output.Add(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (api._output) api._output.Add(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            using var probe = new HttpClient { BaseAddress = new Uri(api._baseUrl) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                if (process.HasExited) throw new InvalidOperationException($"The Api exited ({process.ExitCode}):\n{api.Output()}");
                try
                {
                    if ((await probe.GetAsync("/readyz")).IsSuccessStatusCode) return api;
                }
                catch (HttpRequestException) { }
                await Task.Delay(200);
            }
            api.Dispose();
            throw new TimeoutException($"The Api did not become ready:\n{api.Output()}");
        }

        public HttpClient Client(string? key)
        {
            var client = new HttpClient { BaseAddress = new Uri(_baseUrl) };
            if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return client;
        }

        public string Line(string prefix)
        {
            lock (_output)
                return _output.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim()
                       ?? throw new InvalidOperationException($"No line starting '{prefix}' in:\n{Output()}");
        }

        public bool Printed(string prefix)
        {
            lock (_output) return _output.Any(l => l.StartsWith(prefix, StringComparison.Ordinal));
        }

        private string Output()
        {
            lock (_output) return string.Join('\n', _output);
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10000);
            _process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        /// <summary>The Api built alongside these tests (same configuration), as the README's command runs it.</summary>
        private static string ApiDll()
        {
            var here = new DirectoryInfo(AppContext.BaseDirectory);            // tests/Api.Tests/bin/<Configuration>/net10.0/
            var configuration = here.Parent!.Name;
            var root = here;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "IaasApi.sln"))) root = root.Parent;
            var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Repository root not found."),
                "src", "Api", "bin", here.Parent.Name == configuration ? configuration : "Debug", here.Name, "IaasApi.Api.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build src/Api first.", dll);
        }
    }
}
