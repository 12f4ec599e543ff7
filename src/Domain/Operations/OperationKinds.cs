namespace IaasApi.Domain.Operations;

/// <summary>Operation kinds are <c>&lt;resource&gt;.&lt;verb&gt;</c> (API.md).</summary>
public static class OperationKinds
{
    public const string InstanceCreate = "instance.create";
    public const string InstanceStart = "instance.start";
    public const string InstanceStop = "instance.stop";
    public const string InstanceReboot = "instance.reboot";
    public const string InstanceDelete = "instance.delete";
}

/// <summary>Who did something, as written in audit trails.</summary>
public static class Actors
{
    public const string Worker = "system:worker";
    public const string Reconciler = "system:reconciler";

    public static string Key(Guid keyId) => $"key:{keyId}";
}
