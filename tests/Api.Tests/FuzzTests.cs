using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>
/// No request may produce a 500. Every route in the OpenAPI document, with every method it has, is sent hostile
/// ids, query strings and bodies, as an admin, a tenant and nobody; every answer must be a non-5xx with a JSON body.
/// </summary>
public sealed class FuzzTests(ApiFactory api)
{
    private static readonly string[] Bodies =
    [
        "", "{}", "[]", "null", "\"text\"", "42", "{\"name\":", "{{{{", "\u0000",
        """{"name":{"nested":true},"vcpus":[1],"memoryMiB":"lots","capacity":7,"quotas":"none","status":42}""",
        """{"name":"ok-name","vcpus":2147483647,"memoryMiB":-2147483648,"diskGiB":99999999999999999999,"networkMbps":1e308}""",
        """{"name":"a\u0000b","cpuModel":"x\u0000y","userData":"\u0000","reason":"\u0001","message":"\u0000"}""",
        """{"status":"running","state":"enabled","format":"qcow2","hypervisor":"fake","placementStrategy":"pack","schemes":["immediate","immediate"]}""",
        """{"zoneId":"00000000-0000-0000-0000-000000000000","regionId":"00000000-0000-0000-0000-000000000000","tenantId":"00000000-0000-0000-0000-000000000000","flavorId":"00000000-0000-0000-0000-000000000000","imageId":"00000000-0000-0000-0000-000000000000","slaPlanId":"00000000-0000-0000-0000-000000000000"}""",
        """{"allocationRatios":{"cpu":1e-300,"memory":64,"disk":0.0000001},"reserved":{"vcpus":0}}""",
        """{"start":"9999-12-31T23:59:59Z","end":"0001-01-01T00:00:00Z","count":2147483647,"graceSeconds":-1,"onEnd":"explode","scheme":"best-effort","maxWaitSeconds":2147483647}""",
        """{"start":"0001-01-01T00:00:00Z","end":"9999-12-31T23:59:59Z","count":1,"graceSeconds":86400,"scheme":"reservation","reservationId":"00000000-0000-0000-0000-000000000000"}""",
        "{" + string.Concat(Enumerable.Repeat("\"a\":{", 200)) + string.Concat(Enumerable.Repeat("}", 200)) + "}",
    ];

    // (A NUL in the path never reaches the application: the server rejects the request line.)
    private static readonly string[] Ids = ["01a00000-0000-7000-8000-000000000001", "00000000-0000-0000-0000-000000000000", "not-a-guid", "..%2F..%2Fetc"];

    private static readonly string[] Queries =
    [
        "", "?limit=-1", "?limit=999999999999", "?pageToken=%00%00", "?pageToken=AAAAAAAAAAAAAAAAAAAAAA", "?since=yesterday",
        "?since=9999-12-31T23:59:59Z", "?status=", "?status=running&status=stopped", "?zoneId=nope", "?resourceId=00000000-0000-0000-0000-000000000000",
        "?name=a%00b", "?kind=%00", "?os=%01", "?hypervisor=%00", "?name=" + new string('n', 5000),
        "?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z&step=1", "?from=9999-12-31T23:59:59Z", "?step=99999999999999999999d",
        "?to=0001-01-01T00:00:00Z&step=60", "?scheme=%00&reservationId=nope",
    ];

    [Fact]
    public async Task EveryRoute_AnswersWithoutA5xx_ForHostileInput()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var tenantKey = cloud.TenantKey;
        var liveInstance = (await api.Client(tenantKey).CreateInstanceAsync(cloud)).Id().ToString();
        var doc = JsonNode.Parse(await api.Client(null).GetStringAsync("/swagger/v1/swagger.json"))!;
        var clients = new[] { api.Admin(), api.Client(tenantKey), api.Client(null) };
        var failures = new List<string>();
        var sent = 0;

        foreach (var (template, item) in doc["paths"]!.AsObject())
        {
            foreach (var (method, _) in item!.AsObject())
            {
                foreach (var path in Expand(template, liveInstance, cloud))
                {
                    foreach (var client in clients)
                    {
                        foreach (var (query, body) in Combinations(method))
                        {
                            var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path + query);
                            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                            var response = await client.SendAsync(request);
                            sent++;
                            var status = (int)response.StatusCode;
                            var text = await response.Content.ReadAsStringAsync();
                            if (status >= 500 || (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json"))
                                failures.Add($"{method.ToUpperInvariant()} {path}{query} [{body?[..Math.Min(body.Length, 60)]}] → {status}: {text[..Math.Min(text.Length, 300)]}");
                        }
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests failed:\n{string.Join('\n', failures.Take(30))}\n{string.Join('\n', api.Errors.Entries.Take(3))}");
        Assert.True(sent > 1000, $"only {sent} requests were sent");
    }

    private static IEnumerable<string> Expand(string template, string liveInstance, Cloud cloud)
    {
        if (!template.Contains('{')) return [template];
        var ids = Ids.Concat([liveInstance, cloud.HostIds[0].ToString(), cloud.TenantId.ToString(), cloud.FlavorId.ToString()]);
        return ids.Select(id => System.Text.RegularExpressions.Regex.Replace(template, @"\{(\w+)\}",
            m => m.Groups[1].Value == "action" ? "stop" : id));
    }

    private static IEnumerable<(string Query, string? Body)> Combinations(string method) =>
        method is "get" or "delete"
            ? Queries.Select(q => (q, (string?)null))
            : Bodies.Select(b => ("", (string?)b));
}
