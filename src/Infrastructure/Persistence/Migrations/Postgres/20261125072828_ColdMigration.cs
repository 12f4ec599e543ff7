using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ColdMigration : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "migration_allow_cold",
                schema: "iaas",
                table: "sla_plans",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<double>(
                name: "disk_copied_mib",
                schema: "iaas",
                table: "migrations",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "disk_total_mib",
                schema: "iaas",
                table: "migrations",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "restart_on_target",
                schema: "iaas",
                table: "migrations",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "migration_allow_cold",
                schema: "iaas",
                table: "sla_plans");

            migrationBuilder.DropColumn(
                name: "disk_copied_mib",
                schema: "iaas",
                table: "migrations");

            migrationBuilder.DropColumn(
                name: "disk_total_mib",
                schema: "iaas",
                table: "migrations");

            migrationBuilder.DropColumn(
                name: "restart_on_target",
                schema: "iaas",
                table: "migrations");
        }
    }
}
