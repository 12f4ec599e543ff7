using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class SlaPlanMigrationPolicy : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "migration_escalation",
                schema: "iaas",
                table: "sla_plans",
                type: "character varying(24)",
                maxLength: 24,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "migration_max_downtime_ms",
                schema: "iaas",
                table: "sla_plans",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "migration_timeout_seconds_per_gib",
                schema: "iaas",
                table: "sla_plans",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "timeout_seconds_per_gib",
                schema: "iaas",
                table: "migrations",
                type: "double precision",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "migration_escalation",
                schema: "iaas",
                table: "sla_plans");

            migrationBuilder.DropColumn(
                name: "migration_max_downtime_ms",
                schema: "iaas",
                table: "sla_plans");

            migrationBuilder.DropColumn(
                name: "migration_timeout_seconds_per_gib",
                schema: "iaas",
                table: "sla_plans");

            migrationBuilder.DropColumn(
                name: "timeout_seconds_per_gib",
                schema: "iaas",
                table: "migrations");
        }
    }
}
