using System.Text.Json;
using IaasApi.Domain.Hypervisors;
using IaasApi.Infrastructure.Hypervisors;

namespace IaasApi.Infrastructure.Agents;

/// <summary>
/// A driver call on one host, as data: what the control plane asks a host's agent to do during a migration. The
/// same record runs in-process (a driver this process can drive for that host) or as an <see cref="AgentTask"/> on the
/// host's queue — one code path either way (<see cref="ExecuteAsync"/>).
/// </summary>
public sealed record HostCall(string Kind, HostRef Host, Guid InstanceId, IncomingRequest? Incoming = null, InstanceSpec? Spec = null, bool Run = false)
{
    public const string PrepareIncoming = "prepare-incoming";
    public const string RegisterCopy = "register-copy";
    public const string ActivateIncoming = "activate-incoming";
    public const string EnsureRunning = "ensure-running";
    public const string DiscardIncoming = "discard-incoming";
    public const string CancelOutgoing = "cancel-outgoing";
    public const string ReleaseOutgoing = "release-outgoing";
    public const string AbortStorageMirror = "abort-storage-mirror";

    /// <summary>
    /// Calls whose outcome the asker records as the instance's state: if the asker stops waiting, the agent must not
    /// carry them out later. Clean-ups (discard, cancel, release, abort) still run when the agent gets to them.
    /// </summary>
    public bool DecidesState => Kind is PrepareIncoming or RegisterCopy or ActivateIncoming or EnsureRunning;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static HostCall FromJson(string json) =>
        JsonSerializer.Deserialize<HostCall>(json, Json) ?? throw new InvalidOperationException("An agent task without a call.");

    public static string? ResultJson<T>(T value) => JsonSerializer.Serialize(value, Json);

    public static T Result<T>(string? json) =>
        JsonSerializer.Deserialize<T>(json ?? "null", Json) ?? throw new HypervisorException("The host's agent answered nothing.", isTransient: false);

    /// <summary>
    /// Runs the call against the host's driver, in the role the call needs; the answer as JSON (null when the call answers
    /// nothing).
    /// </summary>
    public async Task<string?> ExecuteAsync(HypervisorDrivers drivers, CancellationToken ct)
    {
        IMigrationEndpointDriver Endpoint() => drivers.For<IMigrationEndpointDriver>(Host.Hypervisor);
        switch (Kind)
        {
            case PrepareIncoming:
                return ResultJson(await Endpoint().PrepareIncomingAsync(Incoming ?? throw Missing(nameof(Incoming)), ct));
            case RegisterCopy:
                await drivers.For<IColdMigrationDriver>(Host.Hypervisor).RegisterCopyAsync(Host, Spec ?? throw Missing(nameof(Spec)), ct);
                return null;
            case ActivateIncoming:
                await Endpoint().ActivateIncomingAsync(Host, InstanceId, Run, ct);
                return null;
            case EnsureRunning:
                var driver = drivers.For(Host.Hypervisor);
                if (await driver.GetPowerStateAsync(Host, InstanceId, ct) == VmPowerState.Running) return ResultJson(false);
                await driver.SetPowerAsync(Host, InstanceId, PowerAction.Start, ct);
                return ResultJson(true);
            case DiscardIncoming:
                await Endpoint().DiscardIncomingAsync(Host, InstanceId, ct);
                return null;
            case CancelOutgoing:
                await Endpoint().CancelOutgoingAsync(Host, InstanceId, ct);
                return null;
            case ReleaseOutgoing:
                await Endpoint().ReleaseOutgoingAsync(Host, InstanceId, ct);
                return null;
            case AbortStorageMirror:
                await drivers.For<IStorageMirrorDriver>(Host.Hypervisor).AbortStorageMirrorAsync(Host, InstanceId, ct);
                return null;
            default:
                throw new HypervisorException($"No host call '{Kind}' exists.", isTransient: false);
        }
    }

    private InvalidOperationException Missing(string field) => new($"A '{Kind}' call needs its {field}.");
}
