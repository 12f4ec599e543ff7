using System.Text;
using FluentValidation;
using IaasApi.Api.Features.ServerGroups;
using IaasApi.Api.Http;
using IaasApi.Domain.Catalog;
using IaasApi.Domain.Common;
using IaasApi.Infrastructure.Persistence;
using IaasApi.Infrastructure.Placement;
using Microsoft.EntityFrameworkCore;

namespace IaasApi.Api.Features.Instances;

public sealed record CreateInstanceRequest(string? Name, Guid? FlavorId, Guid? ImageId, Guid? SlaPlanId, Guid? ZoneId, Guid? ServerGroupId,
                                           string? UserData, int? Count, Guid? TenantId);

public sealed class CreateInstanceValidator : AbstractValidator<CreateInstanceRequest>
{
    public CreateInstanceValidator()
    {
        RuleFor(x => x.Name).ValidName();
        RuleFor(x => x.Name).Must((req, name) => name is null || name.Length + 1 + (req.Count ?? 1).ToString().Length <= Limits.NameMaxLength)
            .When(x => x.Count > 1).WithMessage("With 'count' > 1 instances are named '<name>-<n>'; that must fit in 63 characters.");
        RuleFor(x => x.FlavorId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.ImageId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.SlaPlanId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.Count).InclusiveBetween(1, Limits.MaxBatchCount);
        RuleFor(x => x.UserData).Must(u => u is null || Encoding.UTF8.GetByteCount(u) <= Limits.UserDataMaxBytes)
            .WithMessage($"'userData' must be at most {Limits.UserDataMaxBytes} bytes.");
        RuleFor(x => x.UserData).PlainText();
    }
}

/// <summary>
/// POST /v1/instances: resolve the references, then admit (quota + placement + claims + rows in one transaction),
/// then 202 with the instance in <c>building</c> and the operation to poll.
/// </summary>
public static class CreateInstance
{
    public static async Task<IResult> Handle(CreateInstanceRequest req, Caller caller, IaasDbContext db, InstanceScheduler scheduler,
                                             CatalogCache catalog, HttpContext http, CancellationToken ct)
    {
        var tenantId = await ResolveTenantAsync(req, caller, db, ct);
        var flavor = await catalog.FlavorAsync(db, req.FlavorId!.Value, ct);
        var image = await catalog.ImageAsync(db, req.ImageId!.Value, ct);
        var plan = await catalog.PlanAsync(db, req.SlaPlanId!.Value, ct);
        if (req.ZoneId is { } zoneId) await db.Zones.AsNoTracking().GetAsync(zoneId, "zone", ct);
        var group = req.ServerGroupId is { } groupId ? await ServerGroupsEndpoints.FindVisibleAsync(db, caller, groupId, ct) : null;
        if (group is not null && group.TenantId != tenantId) throw new NotFoundException("server-group", group.Id);

        EnsureCompatible(flavor, image, plan);

        var count = req.Count ?? 1;
        var admission = await scheduler.AdmitAsync(new AdmissionRequest(tenantId, req.Name!, flavor, image, plan, req.ZoneId, req.UserData,
            count, caller.Actor, IdempotencyMiddleware.Of(http), group, ExplainRefusals: caller.IsAdmin), ct);

        var items = admission.Instances.Select(i => InstanceResponse.From(i, caller.IsAdmin)).ToList();
        if (count == 1)
        {
            ETags.Set(http, admission.Instances[0].Version);
            return TypedResults.Accepted($"/v1/instances/{items[0].Id}", items[0]);
        }
        return TypedResults.Accepted($"/v1/operations/{admission.Operation.Id}", new InstanceBatchResponse(items, admission.Operation.Id));
    }

    /// <summary>What a create (and a preview of one) refuses before placement: an image too big for the flavor's disk, a plan without immediate provisioning.</summary>
    public static void EnsureCompatible(Flavor flavor, Image image, SlaPlan plan)
    {
        if (image.MinDiskGiB > flavor.Resources.DiskGiB)
            throw new FieldValidationException("imageId",
                $"Image '{image.Name}' needs at least {image.MinDiskGiB} GiB of disk; flavor '{flavor.Name}' has {flavor.Resources.DiskGiB} GiB.");
        if (!plan.Offers(ProvisioningScheme.Immediate))
            throw new FieldValidationException("slaPlanId", $"SLA plan '{plan.Name}' does not offer immediate provisioning.");
    }

    /// <summary>Tenant keys act for their own tenant; admin keys must name one.</summary>
    private static async Task<Guid> ResolveTenantAsync(CreateInstanceRequest req, Caller caller, IaasDbContext db, CancellationToken ct)
    {
        if (caller.TenantId is { } own)
        {
            if (req.TenantId is { } other && other != own) throw new NotFoundException("tenant", other);
            return own;
        }
        if (req.TenantId is not { } tenantId)
            throw new FieldValidationException("tenantId", "Admin keys create instances on a tenant's behalf: 'tenantId' is required.");
        return (await db.Tenants.AsNoTracking().GetAsync(tenantId, "tenant", ct)).Id;
    }
}
