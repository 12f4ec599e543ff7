using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SlaPlanMigrationPolicy : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "migration_escalation",
                table: "sla_plans",
                type: "TEXT",
                maxLength: 24,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "migration_max_downtime_ms",
                table: "sla_plans",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "migration_timeout_seconds_per_gib",
                table: "sla_plans",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "timeout_seconds_per_gib",
                table: "migrations",
                type: "REAL",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "migration_escalation",
                table: "sla_plans");

            migrationBuilder.DropColumn(
                name: "migration_max_downtime_ms",
                table: "sla_plans");

            migrationBuilder.DropColumn(
                name: "migration_timeout_seconds_per_gib",
                table: "sla_plans");

            migrationBuilder.DropColumn(
                name: "timeout_seconds_per_gib",
                table: "migrations");
        }
    }
}
