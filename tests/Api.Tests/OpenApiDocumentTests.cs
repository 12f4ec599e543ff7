using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// The served OpenAPI document as generated clients read it: the linters (spectral's oas ruleset, redocly's recommended)
/// find no error; every operation declares its answers, headers and the one problem schema; and the contract check
/// every test client runs (<see cref="ContractCheck"/>) does refuse an answer the document does not describe.
/// </summary>
public sealed class OpenApiDocumentTests(ApiFactory api, ITestOutputHelper output)
{
    [Fact]
    public async Task Document_PassesSpectralAndRedocly_WithoutErrors()
    {
        var tools = Path.Combine(ChildProcess.RepoRoot() ?? throw new InvalidOperationException("Run from the repository."), "tools", "openapi");
        if (!File.Exists(Path.Combine(tools, "node_modules", ".package-lock.json")))
        {
            var install = await RunAsync(tools, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
            Assert.True(install.Exit == 0, install.Errors);
        }
        var document = Path.Combine(Directory.CreateTempSubdirectory("iaas-openapi-").FullName, "openapi.json");
        await File.WriteAllTextAsync(document, await api.CreateClient().GetStringAsync("/swagger/v1/swagger.json"));

        var spectral = await RunAsync(tools, "npx", "--no-install", "spectral", "lint", "--ruleset", Path.Combine(tools, ".spectral.yaml"),
                                      "--format", "json", "--quiet", "--fail-severity", "error", document);
        Assert.True(spectral.Output.Contains('['), spectral.Errors);
        var findings = JsonNode.Parse(spectral.Output[spectral.Output.IndexOf('[')..])!.AsArray();
        var spectralErrors = findings.Where(f => f!["severity"]!.GetValue<int>() == 0).Select(f => $"{f!["code"]}: {f["message"]} at {string.Join('.', f["path"]!.AsArray())}").ToList();
        output.WriteLine($"spectral: {spectralErrors.Count} errors, {findings.Count(f => f!["severity"]!.GetValue<int>() == 1)} warnings");

        var redocly = await RunAsync(tools, "npx", "--no-install", "redocly", "lint", "--config", Path.Combine(tools, "redocly.yaml"),
                                     "--format", "json", document);
        Assert.True(redocly.Output.Contains('{'), redocly.Errors);
        var report = JsonNode.Parse(redocly.Output[redocly.Output.IndexOf('{')..])!;
        var redoclyErrors = report["problems"]!.AsArray().Where(p => p!["severity"]!.GetValue<string>() == "error")
            .Select(p => $"{p!["ruleId"]}: {p["message"]}").ToList();
        output.WriteLine($"redocly: {report["totals"]!["errors"]} errors, {report["totals"]!["warnings"]} warnings");

        Assert.True(spectralErrors.Count == 0, "spectral:\n" + string.Join('\n', spectralErrors.Take(30)));
        Assert.True(redoclyErrors.Count == 0, "redocly:\n" + string.Join('\n', redoclyErrors.Take(30)));
    }

    [Fact]
    public async Task EveryOperation_DeclaresItsAnswers_Headers_AndTheProblemSchema()
    {
        var document = JsonNode.Parse(await api.CreateClient().GetStringAsync("/swagger/v1/swagger.json"))!;
        Assert.StartsWith("3.1", document["openapi"]!.GetValue<string>());
        foreach (var (name, _) in document["components"]!["schemas"]!.AsObject())
            Assert.Matches("^[A-Za-z][A-Za-z0-9]*$", name);

        var faults = new List<string>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        foreach (var (method, node) in item!.AsObject())
        {
            var operation = node!.AsObject();
            var where = $"{method.ToUpperInvariant()} {path}";
            var responses = operation["responses"]!.AsObject();
            var parameters = operation["parameters"]?.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToHashSet() ?? [];
            var authenticated = operation["security"] is not JsonArray { Count: 0 };
            if (string.IsNullOrWhiteSpace(operation["summary"]?.GetValue<string>())) faults.Add($"{where}: no summary");
            if (!responses.Any(r => r.Key.StartsWith('2'))) faults.Add($"{where}: no success response");
            foreach (var (code, response) in responses.Where(r => r.Key[0] is '4' or '5'))
                if (response!["content"]?["application/problem+json"]?["schema"]?["$ref"]?.GetValue<string>() != "#/components/schemas/Problem")
                    faults.Add($"{where} {code}: not the Problem schema");
            if (!responses.ContainsKey("500")) faults.Add($"{where}: 500 undeclared");
            if (authenticated && !responses.ContainsKey("401")) faults.Add($"{where}: 401 undeclared");
            if (method == "post" && authenticated && !parameters.Contains("Idempotency-Key")) faults.Add($"{where}: no Idempotency-Key");
            if (method is "patch" or "delete" && !parameters.Contains("If-Match")) faults.Add($"{where}: no If-Match");
            if (responses["429"]?["headers"]?["Retry-After"] is null && responses.ContainsKey("429")) faults.Add($"{where}: 429 without Retry-After");
            if (responses["201"] is { } created && created["headers"]?["Location"] is null) faults.Add($"{where}: 201 without Location");
        }
        Assert.True(faults.Count == 0, string.Join('\n', faults));

        // The request validators' rules are in the schemas (what a client can check before it sends).
        var flavor = document["components"]!["schemas"]!["CreateFlavorRequest"]!;
        Assert.Equal(["diskGiB", "memoryMiB", "name", "vcpus"], flavor["required"]!.AsArray().Select(r => r!.GetValue<string>()).Order());
        Assert.Equal(63, flavor["properties"]!["name"]!["maxLength"]!.GetValue<int>());
        Assert.Equal(1, flavor["properties"]!["vcpus"]!["minimum"]!.GetValue<int>());
        // A response's members are all present, a nullable one says so, and a reference that may be null is oneOf it and null.
        var operationSchema = document["components"]!["schemas"]!["OperationResponse"]!;
        Assert.Contains("error", operationSchema["required"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("null", operationSchema["properties"]!["error"]!["oneOf"]![1]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task ContractCheck_RefusesAnAnswerTheDocumentDoesNotDescribe()
    {
        var contract = api.Contract;
        var id = Guid.NewGuid();
        var get = new HttpRequestMessage(HttpMethod.Get, $"http://localhost/v1/flavors/{id}");

        static HttpResponseMessage Answer(HttpStatusCode status, string json, string mediaType = "application/json") =>
            new(status) { Content = new StringContent(json, Encoding.UTF8, mediaType) };

        // A flavor without its name and with a word where a number goes.
        var wrongBody = await Assert.ThrowsAsync<ContractViolationException>(() => contract.CheckAsync(get,
            Answer(HttpStatusCode.OK, $$"""{"id":"{{id}}","vcpus":"two"}"""), CancellationToken.None));
        Assert.Contains("GET /v1/flavors/{id} → 200", wrongBody.Message);
        Assert.Contains("name", wrongBody.Message);
        // A status the operation does not declare.
        await Assert.ThrowsAsync<ContractViolationException>(() => contract.CheckAsync(get, Answer((HttpStatusCode)418, "{}"), CancellationToken.None));
        // An error that is not a problem.
        await Assert.ThrowsAsync<ContractViolationException>(() => contract.CheckAsync(get,
            Answer(HttpStatusCode.NotFound, """{"message":"nope"}"""), CancellationToken.None));
        // The answer the API really gives passes.
        var admin = api.Admin();
        var flavor = await admin.PostOk("/v1/flavors", new { name = $"contract-{id.ToString("N")[..8]}", vcpus = 1, memoryMiB = 512, diskGiB = 1 });
        var real = await api.CreateClient().SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/v1/flavors/{flavor.Id()}")
        {
            Headers = { Authorization = new("Bearer", ApiFactory.AdminKey) },
        });
        await contract.CheckAsync(new HttpRequestMessage(HttpMethod.Get, $"http://localhost/v1/flavors/{flavor.Id()}"), real, CancellationToken.None);
    }

    /// <summary>Runs a tool to its end; its standard output (the report) and, for a failure's message, its standard error.</summary>
    private static async Task<(int Exit, string Output, string Errors)> RunAsync(string directory, string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
