using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PlacementEngine : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<List<string>>(
                name: "required_capabilities",
                schema: "iaas",
                table: "sla_plans",
                type: "text[]",
                nullable: false,
                defaultValue: new List<string>());

            migrationBuilder.AddColumn<Guid>(
                name: "server_group_id",
                schema: "iaas",
                table: "instances",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<List<string>>(
                name: "forbidden_traits",
                schema: "iaas",
                table: "images",
                type: "text[]",
                nullable: false,
                defaultValue: new List<string>());

            migrationBuilder.AddColumn<string>(
                name: "hypervisor",
                schema: "iaas",
                table: "images",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<List<string>>(
                name: "required_cpu_features",
                schema: "iaas",
                table: "images",
                type: "text[]",
                nullable: false,
                defaultValue: new List<string>());

            migrationBuilder.AddColumn<string>(
                name: "required_cpu_model",
                schema: "iaas",
                table: "images",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<List<string>>(
                name: "required_traits",
                schema: "iaas",
                table: "images",
                type: "text[]",
                nullable: false,
                defaultValue: new List<string>());

            migrationBuilder.AddColumn<long>(
                name: "config_version",
                schema: "iaas",
                table: "hosts",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<List<string>>(
                name: "forbidden_traits",
                schema: "iaas",
                table: "flavors",
                type: "text[]",
                nullable: false,
                defaultValue: new List<string>());

            migrationBuilder.AddColumn<List<string>>(
                name: "required_cpu_features",
                schema: "iaas",
                table: "flavors",
                type: "text[]",
                nullable: false,
                defaultValue: new List<string>());

            migrationBuilder.AddColumn<string>(
                name: "required_cpu_model",
                schema: "iaas",
                table: "flavors",
                type: "character varying(255)",
                maxLength: 255,
                nullable: true);

            migrationBuilder.AddColumn<List<string>>(
                name: "required_traits",
                schema: "iaas",
                table: "flavors",
                type: "text[]",
                nullable: false,
                defaultValue: new List<string>());

            migrationBuilder.CreateTable(
                name: "server_groups",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    policy = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    max_per_host = table.Column<int>(type: "integer", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_server_groups", x => x.id);
                    table.ForeignKey(
                        name: "fk_server_groups_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalSchema: "iaas",
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_instances_server_group_id_status",
                schema: "iaas",
                table: "instances",
                columns: new[] { "server_group_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_hosts_updated_at",
                schema: "iaas",
                table: "hosts",
                column: "updated_at");

            migrationBuilder.CreateIndex(
                name: "ix_server_groups_tenant_id_id",
                schema: "iaas",
                table: "server_groups",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.AddForeignKey(
                name: "fk_instances_server_groups_server_group_id",
                schema: "iaas",
                table: "instances",
                column: "server_group_id",
                principalSchema: "iaas",
                principalTable: "server_groups",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_instances_server_groups_server_group_id",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropTable(
                name: "server_groups",
                schema: "iaas");

            migrationBuilder.DropIndex(
                name: "ix_instances_server_group_id_status",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropIndex(
                name: "ix_hosts_updated_at",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "required_capabilities",
                schema: "iaas",
                table: "sla_plans");

            migrationBuilder.DropColumn(
                name: "server_group_id",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "forbidden_traits",
                schema: "iaas",
                table: "images");

            migrationBuilder.DropColumn(
                name: "hypervisor",
                schema: "iaas",
                table: "images");

            migrationBuilder.DropColumn(
                name: "required_cpu_features",
                schema: "iaas",
                table: "images");

            migrationBuilder.DropColumn(
                name: "required_cpu_model",
                schema: "iaas",
                table: "images");

            migrationBuilder.DropColumn(
                name: "required_traits",
                schema: "iaas",
                table: "images");

            migrationBuilder.DropColumn(
                name: "config_version",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "forbidden_traits",
                schema: "iaas",
                table: "flavors");

            migrationBuilder.DropColumn(
                name: "required_cpu_features",
                schema: "iaas",
                table: "flavors");

            migrationBuilder.DropColumn(
                name: "required_cpu_model",
                schema: "iaas",
                table: "flavors");

            migrationBuilder.DropColumn(
                name: "required_traits",
                schema: "iaas",
                table: "flavors");
        }
    }
}
