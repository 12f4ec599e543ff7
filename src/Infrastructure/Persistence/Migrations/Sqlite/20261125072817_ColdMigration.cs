using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ColdMigration : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "migration_allow_cold",
                table: "sla_plans",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<double>(
                name: "disk_copied_mib",
                table: "migrations",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "disk_total_mib",
                table: "migrations",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "restart_on_target",
                table: "migrations",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "migration_allow_cold",
                table: "sla_plans");

            migrationBuilder.DropColumn(
                name: "disk_copied_mib",
                table: "migrations");

            migrationBuilder.DropColumn(
                name: "disk_total_mib",
                table: "migrations");

            migrationBuilder.DropColumn(
                name: "restart_on_target",
                table: "migrations");
        }
    }
}
