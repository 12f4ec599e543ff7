using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MigrationMeasurements : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "hypervisor_total_ms",
                table: "migrations",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "transferred_mib",
                table: "migrations",
                type: "REAL",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "hypervisor_total_ms",
                table: "migrations");

            migrationBuilder.DropColumn(
                name: "transferred_mib",
                table: "migrations");
        }
    }
}
