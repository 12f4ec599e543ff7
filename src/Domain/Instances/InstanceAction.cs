namespace IaasApi.Domain.Instances;

/// <summary>
/// One row of an instance's audit trail (Nova's instance actions): every status change, with who asked, when and
/// why. Append-only; SLA accounting reads it, so it is complete and timestamped for every transition.
/// </summary>
public sealed class InstanceAction : Common.IHasId
{
    private InstanceAction() { Action = ""; Actor = ""; }

    internal InstanceAction(Guid instanceId, string action, InstanceStatus? from, InstanceStatus to, string actor,
                            Guid? operationId, string? detail, DateTimeOffset at)
    {
        Id = Common.Ids.New();
        InstanceId = instanceId;
        Action = action;
        FromStatus = from;
        ToStatus = to;
        Actor = actor;
        OperationId = operationId;
        Detail = Common.Text.Cap(detail);
        At = at;
    }

    public Guid Id { get; private set; }
    public Guid InstanceId { get; private set; }
    public string Action { get; private set; }
    public InstanceStatus? FromStatus { get; private set; }
    public InstanceStatus ToStatus { get; private set; }
    /// <summary><c>key:&lt;api key id&gt;</c> for requests, <c>system:&lt;component&gt;</c> for workers and reconcilers.</summary>
    public string Actor { get; private set; }
    public Guid? OperationId { get; private set; }
    public string? Detail { get; private set; }
    public DateTimeOffset At { get; private set; }
}
