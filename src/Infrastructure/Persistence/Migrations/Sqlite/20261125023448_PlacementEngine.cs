using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PlacementEngine : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "required_capabilities",
                table: "sla_plans",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<Guid>(
                name: "server_group_id",
                table: "instances",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "forbidden_traits",
                table: "images",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<string>(
                name: "hypervisor",
                table: "images",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "required_cpu_features",
                table: "images",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<string>(
                name: "required_cpu_model",
                table: "images",
                type: "TEXT",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "required_traits",
                table: "images",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<long>(
                name: "config_version",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "forbidden_traits",
                table: "flavors",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<string>(
                name: "required_cpu_features",
                table: "flavors",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<string>(
                name: "required_cpu_model",
                table: "flavors",
                type: "TEXT",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "required_traits",
                table: "flavors",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.CreateTable(
                name: "server_groups",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    policy = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    max_per_host = table.Column<int>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_server_groups", x => x.id);
                    table.ForeignKey(
                        name: "fk_server_groups_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_instances_server_group_id_status",
                table: "instances",
                columns: new[] { "server_group_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_hosts_updated_at",
                table: "hosts",
                column: "updated_at");

            migrationBuilder.CreateIndex(
                name: "ix_server_groups_tenant_id_id",
                table: "server_groups",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.AddForeignKey(
                name: "fk_instances_server_groups_server_group_id",
                table: "instances",
                column: "server_group_id",
                principalTable: "server_groups",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_instances_server_groups_server_group_id",
                table: "instances");

            migrationBuilder.DropTable(
                name: "server_groups");

            migrationBuilder.DropIndex(
                name: "ix_instances_server_group_id_status",
                table: "instances");

            migrationBuilder.DropIndex(
                name: "ix_hosts_updated_at",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "required_capabilities",
                table: "sla_plans");

            migrationBuilder.DropColumn(
                name: "server_group_id",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "forbidden_traits",
                table: "images");

            migrationBuilder.DropColumn(
                name: "hypervisor",
                table: "images");

            migrationBuilder.DropColumn(
                name: "required_cpu_features",
                table: "images");

            migrationBuilder.DropColumn(
                name: "required_cpu_model",
                table: "images");

            migrationBuilder.DropColumn(
                name: "required_traits",
                table: "images");

            migrationBuilder.DropColumn(
                name: "config_version",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "forbidden_traits",
                table: "flavors");

            migrationBuilder.DropColumn(
                name: "required_cpu_features",
                table: "flavors");

            migrationBuilder.DropColumn(
                name: "required_cpu_model",
                table: "flavors");

            migrationBuilder.DropColumn(
                name: "required_traits",
                table: "flavors");
        }
    }
}
