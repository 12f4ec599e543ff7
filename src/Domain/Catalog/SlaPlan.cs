using IaasApi.Domain.Common;

namespace IaasApi.Domain.Catalog;

/// <summary>How capacity is obtained: now or refused, queued until it frees, or booked ahead for a window.</summary>
public enum ProvisioningScheme { Immediate, BestEffort, Reservation }

/// <summary>Spread balances load across hosts; pack fills hosts to free whole ones (power saving).</summary>
public enum PlacementStrategy { Spread, Pack }

/// <summary>A service level a tenant buys: how instances are placed, how they are provisioned, what is promised.</summary>
public sealed class SlaPlan : Entity
{
    public const int MaxPriority = 1000;

    private SlaPlan() { Name = ""; Schemes = []; RequiredCapabilities = []; }

    public SlaPlan(string name, DateTimeOffset now) : base(now)
    {
        Name = name;
        Schemes = [ProvisioningScheme.Immediate];
        RequiredCapabilities = [];
    }

    public string Name { get; set; }
    public int Priority { get; set; }
    public List<ProvisioningScheme> Schemes { get; set; }
    public bool Preemptible { get; set; }
    public PlacementStrategy PlacementStrategy { get; set; }
    public double AvailabilityTarget { get; set; }
    public int MaxProvisioningSeconds { get; set; }
    public decimal PricePerHour { get; set; }
    public double PenaltyPercent { get; set; }
    /// <summary>Driver capabilities every host of this plan's instances must have (e.g. "live-migration" for gold).</summary>
    public List<string> RequiredCapabilities { get; set; }

    /// <summary>The downtime a live migration's stop-and-copy may cost this plan's instances (null: the cloud's default).</summary>
    public int? MigrationMaxDowntimeMs { get; set; }
    /// <summary>What to do when pre-copy does not converge for this plan's instances (null: the cloud's default).</summary>
    public Migrations.ConvergenceEscalation? MigrationEscalation { get; set; }
    /// <summary>How long pre-copy may run per GiB of guest memory (null: the cloud's default).</summary>
    public double? MigrationTimeoutSecondsPerGiB { get; set; }
    /// <summary>
    /// Whether a maintenance drain may cold-migrate a running instance of this plan (stop, copy, start elsewhere) when it
    /// cannot be live-migrated. Off by default: downtime is the plan's to allow. Stopped instances always move cold.
    /// </summary>
    public bool MigrationAllowCold { get; set; }

    public bool Offers(ProvisioningScheme scheme) => Schemes.Contains(scheme);
}
