using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace IaasApi.Bench;

/// <summary>What the REST benchmarks share: their --name value options, an API key's client, a create, a percentile.</summary>
public static class BenchHttp
{
    /// <summary><c>--name value</c> pairs.</summary>
    public static Dictionary<string, string> Options(string[] args) =>
        args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal) && p.i + 1 < args.Length)
            .ToDictionary(p => p.a[2..], p => args[p.i + 1]);

    public static HttpClient Client(string url, string apiKey, int maxConnections = int.MaxValue)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = maxConnections }) { BaseAddress = new Uri(url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>POSTs <paramref name="body"/>; the created resource's id (throws on a non-2xx answer).</summary>
    public static async Task<string> Post(HttpClient client, string path, object body)
    {
        var response = await client.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {json}");
        return json!["id"]!.GetValue<string>();
    }

    /// <summary>The <paramref name="percentile"/>th of <paramref name="sorted"/> (nearest rank).</summary>
    public static double P(double[] sorted, int percentile) =>
        sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
