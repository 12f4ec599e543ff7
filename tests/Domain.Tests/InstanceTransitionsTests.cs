using IaasApi.Domain.Common;
using IaasApi.Domain.Instances;
using static IaasApi.Domain.Instances.InstanceStatus;

namespace IaasApi.Domain.Tests;

public sealed class InstanceTransitionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static Instance NewBuilding() => Instance.Place("web-1", Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(),
        new Resources(2, 4096, 40, 0), null, Guid.NewGuid(), Guid.NewGuid(), "key:test", Guid.NewGuid(), Now);

    [Theory]
    [InlineData(Building, Running)]
    [InlineData(Building, Error)]
    [InlineData(Building, Deleting)]
    [InlineData(Running, Stopping)]
    [InlineData(Running, Rebooting)]
    [InlineData(Running, Deleting)]
    [InlineData(Stopping, Stopped)]
    [InlineData(Stopped, Starting)]
    [InlineData(Starting, Running)]
    [InlineData(Rebooting, Running)]
    [InlineData(Deleting, Deleted)]
    [InlineData(Error, Deleting)]
    [InlineData(Running, Stopped)]       // found shut off by its host's agent
    [InlineData(Rebooting, Stopped)]     // a restore that failed with the VM off
    public void IsAllowed_ReturnsTrue_ForTheLifeCycle(InstanceStatus from, InstanceStatus to) =>
        Assert.True(InstanceTransitions.IsAllowed(from, to));

    [Theory]
    [InlineData(Building, Stopped)]
    [InlineData(Running, Starting)]
    [InlineData(Stopped, Stopping)]
    [InlineData(Stopped, Rebooting)]
    [InlineData(Error, Running)]
    [InlineData(Deleting, Running)]
    [InlineData(Migrating, Deleting)]
    public void IsAllowed_ReturnsFalse_ForMovesTheLifeCycleForbids(InstanceStatus from, InstanceStatus to) =>
        Assert.False(InstanceTransitions.IsAllowed(from, to));

    [Fact]
    public void Deleted_IsTerminal_WhenReached()
    {
        foreach (var status in Enum.GetValues<InstanceStatus>())
            Assert.False(InstanceTransitions.IsAllowed(Deleted, status));
    }

    [Fact]
    public void EveryStatus_HasAnEntry_InTheTable()
    {
        foreach (var status in Enum.GetValues<InstanceStatus>())
            _ = InstanceTransitions.From(status);   // throws KeyNotFound if a status was added without its row
    }

    [Fact]
    public void Place_StartsBuilding_WithOneAuditRow()
    {
        var instance = NewBuilding();
        Assert.Equal(Building, instance.Status);
        Assert.NotNull(instance.HostId);
        var action = Assert.Single(instance.Actions);
        Assert.Equal((null, Building, "create"), (action.FromStatus, action.ToStatus, action.Action));
    }

    [Fact]
    public void MoveTo_AppendsAnAuditRow_ForEveryTransition()
    {
        var instance = NewBuilding();
        instance.MoveTo(Running, "spawned", "system:worker", null, Now);
        instance.Begin(Stopping, "stop", "key:1", Guid.NewGuid(), Now);
        instance.MoveTo(Stopped, "stopped", "system:worker", null, Now);

        Assert.Equal([Building, Running, Stopping, Stopped], instance.Actions.Select(a => a.ToStatus));
        Assert.Equal([null, Building, Running, Stopping], instance.Actions.Select(a => a.FromStatus));
        Assert.Equal("key:1", instance.Actions[2].Actor);
    }

    [Fact]
    public void MoveTo_ThrowsInvalidState_WhenTheTableForbidsIt()
    {
        var instance = NewBuilding();
        var ex = Assert.Throws<InvalidStateException>(() => instance.Begin(Stopping, "stop", "key:1", Guid.NewGuid(), Now));
        Assert.Contains("'building'", ex.Message);
        Assert.Single(instance.Actions);   // nothing recorded for a refused move
        Assert.Equal(Building, instance.Status);
    }

    [Fact]
    public void Fail_RecordsTheReason_InStatusAndTrail()
    {
        var instance = NewBuilding();
        instance.Fail("disk image corrupt", "system:worker", null, Now);
        Assert.Equal(Error, instance.Status);
        Assert.Equal("disk image corrupt", instance.StatusReason);
        Assert.Equal("disk image corrupt", instance.Actions[^1].Detail);
    }

    [Fact]
    public void Fail_CapsTheReason_AtTheColumnLength()
    {
        var instance = NewBuilding();
        instance.Fail(new string('x', 5000), "system:worker", null, Now);
        Assert.Equal(Limits.DetailMaxLength, instance.StatusReason!.Length);
        Assert.Equal(Limits.DetailMaxLength, instance.Actions[^1].Detail!.Length);
    }

    [Fact]
    public void ResetState_ForcesAStableStatus_OutsideTheTable()
    {
        var instance = NewBuilding();
        instance.Fail("boom", "system:worker", null, Now);
        instance.ResetState(Running, "key:admin", "host recovered", Now);
        Assert.Equal(Running, instance.Status);
        Assert.Null(instance.StatusReason);
        Assert.Equal("reset-state", instance.Actions[^1].Action);
    }

    [Fact]
    public void ResetState_Refuses_TransitionalTargetsAndDeletedInstances()
    {
        var instance = NewBuilding();
        Assert.Throws<FieldValidationException>(() => instance.ResetState(Building, "key:admin", null, Now));
        instance.MoveTo(Deleting, "delete", "key:1", null, Now);
        instance.MarkDeleted("system:worker", null, Now);
        Assert.Throws<InvalidStateException>(() => instance.ResetState(Error, "key:admin", null, Now));
    }

    [Theory]
    [InlineData(new[] { Running }, Suspended, EvacuationOutcome.Restart)]
    [InlineData(new InstanceStatus[0], Suspended, EvacuationOutcome.Restart)]                    // building
    [InlineData(new[] { Running, Rebooting }, Suspended, EvacuationOutcome.Restart)]
    [InlineData(new[] { Running, Stopping, Stopped, Starting }, Suspended, EvacuationOutcome.Restart)]
    [InlineData(new[] { Running, Stopping }, Stopped, EvacuationOutcome.Stopped)]
    [InlineData(new[] { Running, Stopping, Stopped }, Stopped, EvacuationOutcome.Stopped)]
    [InlineData(new[] { Running, Deleting }, Deleted, EvacuationOutcome.Deleted)]
    [InlineData(new[] { Error }, Error, EvacuationOutcome.LeftInError)]
    [InlineData(new[] { Running, Migrating }, Migrating, EvacuationOutcome.NotNow)]
    public void Evacuate_DecidesByStatus(InstanceStatus[] path, InstanceStatus after, EvacuationOutcome outcome)
    {
        var instance = NewBuilding();
        foreach (var step in path) instance.MoveTo(step, "step", "key:1", null, Now);
        var opId = Guid.NewGuid();
        var before = instance.OperationId;

        Assert.Equal(outcome, instance.Evacuate("host-a", "system:host-monitor", opId, Now.AddMinutes(1)));
        Assert.Equal(after, instance.Status);
        Assert.Equal(before, instance.OperationId);                         // the tenant's last operation stays its own
        if (outcome == EvacuationOutcome.NotNow) return;
        var last = instance.Actions[^1];
        Assert.Equal((opId, "system:host-monitor"), (last.OperationId, last.Actor));
        Assert.Contains("host-a", last.Detail);
        if (outcome == EvacuationOutcome.Restart) Assert.Equal(Now.AddMinutes(1), instance.QueuedAt);
        if (outcome == EvacuationOutcome.Deleted) Assert.Equal(Now.AddMinutes(1), instance.DeletedAt);
    }

    [Fact]
    public void Evacuate_OfAnInstanceInAReservationSlot_EndsInError()
    {
        var instance = NewBuilding().Under(new Domain.Catalog.SlaPlan("p", Now) { Priority = 100 }, Domain.Catalog.ProvisioningScheme.Reservation, Guid.NewGuid());
        instance.MoveTo(Running, "started", "system:worker", null, Now);
        Assert.Equal(EvacuationOutcome.LeftInError, instance.Evacuate("host-a", "system:host-monitor", Guid.NewGuid(), Now));
        Assert.Equal(Error, instance.Status);
        Assert.Contains("reservation", instance.StatusReason);
    }
}
