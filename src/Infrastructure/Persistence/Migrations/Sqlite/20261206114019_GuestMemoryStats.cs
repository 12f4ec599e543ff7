using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class GuestMemoryStats : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "guest_dirty_rate_mibps",
                table: "instances",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "guest_measured_at",
                table: "instances",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "guest_touched_mib",
                table: "instances",
                type: "REAL",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "guest_working_set_mib",
                table: "instances",
                type: "REAL",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "guest_dirty_rate_mibps",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "guest_measured_at",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "guest_touched_mib",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "guest_working_set_mib",
                table: "instances");
        }
    }
}
