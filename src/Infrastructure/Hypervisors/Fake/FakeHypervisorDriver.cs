using IaasApi.Domain.Hypervisors;
using IaasApi.Domain.Migrations;

namespace IaasApi.Infrastructure.Hypervisors.Fake;

/// <summary>The <c>fake</c> driver: the <see cref="FakeHypervisor"/> model behind the driver port, in every role.</summary>
public sealed class FakeHypervisorDriver(FakeHypervisor model)
    : IHypervisorDriver, ISnapshotDriver, IGuestStatsDriver, ILiveMigrationDriver, IColdMigrationDriver, IStorageMirrorDriver
{
    public string Kind => "fake";

    public Task SpawnAsync(HostRef host, InstanceSpec spec, CancellationToken ct) => model.SpawnAsync(host, spec, ct);

    public Task DestroyAsync(HostRef host, Guid instanceId, CancellationToken ct) => model.DestroyAsync(host, instanceId, ct);

    /// <summary>The fake's pools hold no files: a destroyed VM's disk is gone with its record.</summary>
    public Task DeletePooledDiskAsync(HostRef host, InstanceSpec spec, CancellationToken ct) => Task.CompletedTask;

    public Task SetPowerAsync(HostRef host, Guid instanceId, PowerAction action, CancellationToken ct) =>
        model.SetPowerAsync(host, instanceId, action, ct);

    public Task<VmPowerState> GetPowerStateAsync(HostRef host, Guid instanceId, CancellationToken ct) =>
        Task.FromResult(model.PowerOf(host, instanceId));

    public Task<IReadOnlyList<VmInfo>> ListAsync(HostRef host, CancellationToken ct) => Task.FromResult(model.List(host));

    public Task<bool> PingAsync(HostRef host, CancellationToken ct) => Task.FromResult(model.Ping(host));

    public Task SetHostPowerAsync(HostRef host, bool on, CancellationToken ct) => model.SetHostPowerAsync(host, on, ct);

    /// <summary>A fake host has no hardware to look at: its declared capacity is all there is.</summary>
    public Task<HostInventory?> GetInventoryAsync(HostRef host, CancellationToken ct) => Task.FromResult<HostInventory?>(null);

    public Task SuspendAsync(HostRef host, Guid instanceId, CancellationToken ct) => model.SuspendAsync(host, instanceId, ct);

    public Task ResumeAsync(HostRef host, InstanceSpec spec, CancellationToken ct) => model.ResumeAsync(host, spec, ct);

    public Task<int> SnapshotAsync(HostRef host, Guid instanceId, string imageName, CancellationToken ct) =>
        model.SnapshotAsync(host, instanceId, imageName, ct);

    public Task<int> SaveSnapshotAsync(HostRef host, Guid instanceId, Guid snapshotId, bool withMemory, CancellationToken ct) =>
        model.SaveSnapshotAsync(host, instanceId, snapshotId, withMemory, ct);

    public Task RestoreSnapshotAsync(HostRef host, InstanceSpec spec, Guid snapshotId, CancellationToken ct) =>
        model.RestoreSnapshotAsync(host, spec, snapshotId, ct);

    public Task DeleteSnapshotAsync(HostRef host, Guid instanceId, Guid snapshotId, CancellationToken ct) =>
        model.DeleteSnapshotAsync(host, instanceId, snapshotId, ct);

    public Task<GuestMemory> GetGuestMemoryAsync(HostRef host, Guid instanceId, CancellationToken ct) =>
        Task.FromResult(model.GuestMemoryOn(host, instanceId));

    public Task<IncomingEndpoint> PrepareIncomingAsync(IncomingRequest request, CancellationToken ct) => model.PrepareIncomingAsync(request, ct);

    public Task StartLiveMigrationAsync(LiveMigrationRequest request, CancellationToken ct) => model.StartLiveMigrationAsync(request, ct);

    public Task<LiveMigrationStatus> AdvanceLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct) =>
        Task.FromResult(model.AdvanceLiveMigration(source, instanceId));

    public Task<LiveMigrationStatus> GetLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct) =>
        Task.FromResult(model.GetLiveMigration(source, instanceId));

    public Task WaitForLiveMigrationAsync(HostRef source, Guid instanceId, TimeSpan timeout, CancellationToken ct) =>
        model.WaitForLiveMigrationAsync(source, instanceId, timeout, ct);

    public Task ForceCompleteLiveMigrationAsync(HostRef source, Guid instanceId, CancellationToken ct) =>
        model.ForceCompleteLiveMigrationAsync(source, instanceId, ct);

    public Task StartDiskCopyAsync(DiskCopyRequest request, CancellationToken ct) => model.StartDiskCopyAsync(request, ct);

    public Task<DiskCopyStatus> GetDiskCopyAsync(HostRef source, Guid instanceId, CancellationToken ct) =>
        Task.FromResult(model.GetDiskCopy(source, instanceId));

    public Task CancelOutgoingAsync(HostRef source, Guid instanceId, CancellationToken ct) => model.CancelOutgoingAsync(source, instanceId, ct);

    public Task DiscardIncomingAsync(HostRef target, Guid instanceId, CancellationToken ct) => model.DiscardIncomingAsync(target, instanceId, ct);

    public Task RegisterCopyAsync(HostRef target, InstanceSpec spec, CancellationToken ct) => model.RegisterCopyAsync(target, spec, ct);

    public Task ActivateIncomingAsync(HostRef target, Guid instanceId, bool run, CancellationToken ct) =>
        model.ActivateIncomingAsync(target, instanceId, run, ct);

    public Task ReleaseOutgoingAsync(HostRef source, Guid instanceId, CancellationToken ct) => model.ReleaseOutgoingAsync(source, instanceId, ct);

    public Task StartStorageMirrorAsync(StorageMirrorRequest request, CancellationToken ct) => model.StartStorageMirrorAsync(request, ct);

    public Task<DiskCopyStatus> GetStorageMirrorAsync(HostRef host, Guid instanceId, CancellationToken ct) =>
        Task.FromResult(model.GetStorageMirror(host, instanceId));

    public Task PivotStorageMirrorAsync(HostRef host, Guid instanceId, CancellationToken ct) => model.PivotStorageMirrorAsync(host, instanceId, ct);

    public Task AbortStorageMirrorAsync(HostRef host, Guid instanceId, CancellationToken ct) => model.AbortStorageMirrorAsync(host, instanceId, ct);
}
