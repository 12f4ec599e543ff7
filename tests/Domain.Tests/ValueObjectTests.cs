using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Domain.Instances;
using IaasApi.Domain.Tenancy;

namespace IaasApi.Domain.Tests;

public sealed class ValueObjectTests
{
    [Fact]
    public void Resources_AddsAndSubtracts_PerDimension()
    {
        var a = new Resources(2, 4096, 40, 100);
        var b = new Resources(1, 1024, 10, 50);
        Assert.Equal(new Resources(3, 5120, 50, 150), a + b);
        Assert.Equal(new Resources(1, 3072, 30, 50), a - b);
        Assert.False((b - a).IsNonNegative);
    }

    [Theory]
    [InlineData(InstanceStatus.Running, "running")]
    [InlineData(InstanceStatus.Deleting, "deleting")]
    public void EnumWords_UsesTheApiWords_ForStatuses(InstanceStatus status, string word) => Assert.Equal(word, EnumWords.ToWord(status));

    [Fact]
    public void EnumWords_KebabCases_MultiWordMembers()
    {
        Assert.Equal("best-effort", EnumWords.ToWord(ProvisioningScheme.BestEffort));
        Assert.Equal(ProvisioningScheme.BestEffort, EnumWords.Parse<ProvisioningScheme>("best-effort"));
        Assert.False(EnumWords.TryParse<ProvisioningScheme>("BestEffort", out _));
    }

    [Fact]
    public void Ids_AreStrictlyIncreasing_WithinAProcess()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => Ids.New()).ToList();
        for (var i = 1; i < ids.Count; i++) Assert.True(ids[i].CompareTo(ids[i - 1]) > 0, $"id {i} is not after id {i - 1}");
        Assert.All(ids.Take(5), id => Assert.Equal(7, id.Version));
        Assert.Equal(ids.Select(i => i.ToString()).Order(StringComparer.Ordinal), ids.Select(i => i.ToString()));   // text order = creation order
    }

    [Fact]
    public void Exceeds_NamesEveryQuotaTheRequestBreaks()
    {
        var quotas = new Quotas(10, 20, 40960);
        var used = new Usage(9, 18, 36864);
        Assert.Empty(Tenant.Exceeds(quotas, used, new Usage(1, 2, 4096)));
        Assert.Equal(["instances", "vcpus", "memoryMiB"], Tenant.Exceeds(quotas, used, new Usage(2, 4, 8192)));
        Assert.Equal(["vcpus"], Tenant.Exceeds(quotas, used, new Usage(1, 3, 10)));
    }

    [Fact]
    public void Exceeds_IgnoresUnlimitedQuotas()
    {
        var quotas = new Quotas(Quotas.Unlimited, Quotas.Unlimited, 100);
        Assert.Equal(["memoryMiB"], Tenant.Exceeds(quotas, new Usage(1000, 1000, 0), new Usage(1000, 1000, 101)));
    }
}
