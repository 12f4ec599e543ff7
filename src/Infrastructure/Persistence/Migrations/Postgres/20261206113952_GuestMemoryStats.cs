using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class GuestMemoryStats : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "guest_dirty_rate_mibps",
                schema: "iaas",
                table: "instances",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "guest_measured_at",
                schema: "iaas",
                table: "instances",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "guest_touched_mib",
                schema: "iaas",
                table: "instances",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "guest_working_set_mib",
                schema: "iaas",
                table: "instances",
                type: "double precision",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "guest_dirty_rate_mibps",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "guest_measured_at",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "guest_touched_mib",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "guest_working_set_mib",
                schema: "iaas",
                table: "instances");
        }
    }
}
