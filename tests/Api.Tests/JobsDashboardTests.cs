using System.Net;
using System.Net.Http.Headers;
using System.Text;
using IaasApi.Api.Tests.Infrastructure;

namespace IaasApi.Api.Tests;

/// <summary>Hangfire's dashboard at /hangfire: admins only, by Bearer or by Basic (the browser's prompt), never a tenant.</summary>
public sealed class JobsDashboardTests(ApiFactory api)
{
    [Fact]
    public async Task JobsDashboard_IsForAdminKeysOnly_ByBearerOrBasic()
    {
        var anonymous = await api.Client(null).GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme);   // the browser asks for the key

        var (_, tenantKey) = await api.NewTenantAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(Basic(tenantKey))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(Basic("iaas_not-a-key-at-all-0123456789abcdef"))).StatusCode);

        var page = await Get(Basic(ApiFactory.AdminKey));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("IaasApi jobs", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await Get(new AuthenticationHeaderValue("Bearer", ApiFactory.AdminKey))).StatusCode);
    }

    [Fact]
    public async Task InDevelopment_TheDashboardIsWritable_SoAnAdminCanDeleteAJob()
    {
        var cloud = await api.SeedAsync(hosts: 1);
        var vm = (await api.Client(cloud.TenantKey).CreateInstanceAsync(cloud)).Id();
        await api.Admin().WaitForStatusAsync(vm, "running");
        var admin = api.Admin();
        var (jobs, jobId) = await SucceededJobAsync(admin);
        Assert.Contains("js-jobs-list-command", jobs);   // the delete / requeue buttons
        var delete = await admin.PostAsync($"/hangfire/jobs/actions/delete/{jobId}", null);
        Assert.True(delete.IsSuccessStatusCode, $"{(int)delete.StatusCode}");
        Assert.Contains("Deleted", await admin.GetStringAsync($"/hangfire/jobs/details/{jobId}"));
    }

    /// <summary>The succeeded-jobs page once it lists one (a job is marked succeeded just after its work commits).</summary>
    public static async Task<(string Page, string JobId)> SucceededJobAsync(HttpClient admin)
    {
        for (var attempt = 0; ; attempt++)
        {
            var page = await admin.GetStringAsync("/hangfire/jobs/succeeded");
            var jobId = System.Text.RegularExpressions.Regex.Match(page, @"jobs/details/(\d+)").Groups[1].Value;
            if (jobId.Length > 0 || attempt == 100) return (page, jobId);
            await Task.Delay(100);
        }
    }

    private static AuthenticationHeaderValue Basic(string key) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"operator:{key}")));

    private Task<HttpResponseMessage> Get(AuthenticationHeaderValue authorization)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = authorization;
        return client.GetAsync("/hangfire");
    }
}
