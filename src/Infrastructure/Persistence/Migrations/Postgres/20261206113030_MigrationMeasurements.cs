using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class MigrationMeasurements : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "hypervisor_total_ms",
                schema: "iaas",
                table: "migrations",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "transferred_mib",
                schema: "iaas",
                table: "migrations",
                type: "double precision",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "hypervisor_total_ms",
                schema: "iaas",
                table: "migrations");

            migrationBuilder.DropColumn(
                name: "transferred_mib",
                schema: "iaas",
                table: "migrations");
        }
    }
}
