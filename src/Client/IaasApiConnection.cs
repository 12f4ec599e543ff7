using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;

namespace IaasApi.Client;

/// <summary>
/// Connects the generated <see cref="IaasApiClient"/> to a control plane: its endpoint and an API key (sent as
/// <c>Authorization: Bearer</c>). Requests go through Kiota's default middleware (retries honouring Retry-After,
/// redirects, header inspection) and then <paramref name="transport"/> (default: the network).
/// </summary>
public static class IaasApiConnection
{
    public static IaasApiClient Create(Uri endpoint, string? apiKey, HttpMessageHandler? transport = null)
    {
        var http = KiotaClientFactory.Create(transport);
        var adapter = new HttpClientRequestAdapter(new ApiKeyAuthentication(apiKey), httpClient: http);
        adapter.BaseUrl = endpoint.ToString().TrimEnd('/');
        return new IaasApiClient(adapter);
    }

    private sealed class ApiKeyAuthentication(string? apiKey) : IAuthenticationProvider
    {
        public Task AuthenticateRequestAsync(RequestInformation request, Dictionary<string, object>? additionalAuthenticationContext = null,
                                             CancellationToken cancellationToken = default)
        {
            if (apiKey is not null) request.Headers.TryAdd("Authorization", $"Bearer {apiKey}");
            return Task.CompletedTask;
        }
    }
}
