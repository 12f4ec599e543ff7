using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class HostInventory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "reported_disk_gib",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "reported_memory_mib",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "reported_vcpus",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "reported_disk_gib",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "reported_memory_mib",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "reported_vcpus",
                schema: "iaas",
                table: "hosts");
        }
    }
}
