using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class HostHealth : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "down_since",
                schema: "iaas",
                table: "hosts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_heartbeat_at",
                schema: "iaas",
                table: "hosts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "state_before_down",
                schema: "iaas",
                table: "hosts",
                type: "character varying(24)",
                maxLength: 24,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "down_since",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "last_heartbeat_at",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "state_before_down",
                schema: "iaas",
                table: "hosts");
        }
    }
}
