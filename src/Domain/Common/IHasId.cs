namespace IaasApi.Domain.Common;

/// <summary>Anything listed by id (UUID v7 = creation order).</summary>
public interface IHasId
{
    Guid Id { get; }
}
