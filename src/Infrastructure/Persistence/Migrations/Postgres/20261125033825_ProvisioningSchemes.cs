using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ProvisioningSchemes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "status_reason",
                schema: "iaas",
                table: "operations",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "waiting",
                schema: "iaas",
                table: "operations",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "claim_kind",
                schema: "iaas",
                table: "instances",
                type: "character varying(24)",
                maxLength: 24,
                nullable: false,
                defaultValue: "persistent");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "expires_at",
                schema: "iaas",
                table: "instances",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "preemptible",
                schema: "iaas",
                table: "instances",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "priority",
                schema: "iaas",
                table: "instances",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "queued_at",
                schema: "iaas",
                table: "instances",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "quota_claimed",
                schema: "iaas",
                table: "instances",
                type: "boolean",
                nullable: false,
                defaultValue: true);

            migrationBuilder.AddColumn<Guid>(
                name: "reservation_id",
                schema: "iaas",
                table: "instances",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "scheme",
                schema: "iaas",
                table: "instances",
                type: "character varying(24)",
                maxLength: 24,
                nullable: false,
                defaultValue: "immediate");

            migrationBuilder.AddColumn<Guid>(
                name: "owner_tenant_id",
                schema: "iaas",
                table: "images",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "source_instance_id",
                schema: "iaas",
                table: "images",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "idle_reserved_disk_gib",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "idle_reserved_memory_mib",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "idle_reserved_network_mbps",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "idle_reserved_vcpus",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "in_slots_disk_gib",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "in_slots_memory_mib",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "in_slots_network_mbps",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "in_slots_vcpus",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "preemptible_disk_gib",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "preemptible_memory_mib",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "preemptible_network_mbps",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "preemptible_vcpus",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "reserved_peak_disk_gib",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "reserved_peak_memory_mib",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "reserved_peak_network_mbps",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "reserved_peak_vcpus",
                schema: "iaas",
                table: "hosts",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "timeline_version",
                schema: "iaas",
                table: "hosts",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "reservations",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    flavor_id = table.Column<Guid>(type: "uuid", nullable: true),
                    count = table.Column<int>(type: "integer", nullable: false),
                    units_free = table.Column<int>(type: "integer", nullable: false),
                    zone_id = table.Column<Guid>(type: "uuid", nullable: true),
                    sla_plan_id = table.Column<Guid>(type: "uuid", nullable: true),
                    start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    end = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    on_end = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    auto_start = table.Column<bool>(type: "boolean", nullable: false),
                    grace_seconds = table.Column<int>(type: "integer", nullable: false),
                    status = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    notice_given_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    resources_disk_gib = table.Column<int>(type: "integer", nullable: false),
                    resources_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    resources_network_mbps = table.Column<int>(type: "integer", nullable: false),
                    resources_vcpus = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reservations", x => x.id);
                    table.ForeignKey(
                        name: "fk_reservations_flavors_flavor_id",
                        column: x => x.flavor_id,
                        principalSchema: "iaas",
                        principalTable: "flavors",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_reservations_sla_plans_sla_plan_id",
                        column: x => x.sla_plan_id,
                        principalSchema: "iaas",
                        principalTable: "sla_plans",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_reservations_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalSchema: "iaas",
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_reservations_zones_zone_id",
                        column: x => x.zone_id,
                        principalSchema: "iaas",
                        principalTable: "zones",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "reservation_slots",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    reservation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    host_id = table.Column<Guid>(type: "uuid", nullable: false),
                    start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    end = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    instance_id = table.Column<Guid>(type: "uuid", nullable: true),
                    resources_disk_gib = table.Column<int>(type: "integer", nullable: false),
                    resources_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    resources_network_mbps = table.Column<int>(type: "integer", nullable: false),
                    resources_vcpus = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reservation_slots", x => x.id);
                    table.ForeignKey(
                        name: "fk_reservation_slots_hosts_host_id",
                        column: x => x.host_id,
                        principalSchema: "iaas",
                        principalTable: "hosts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_reservation_slots_reservations_reservation_id",
                        column: x => x.reservation_id,
                        principalSchema: "iaas",
                        principalTable: "reservations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_instances_reservation_id",
                schema: "iaas",
                table: "instances",
                column: "reservation_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_status_priority_queued_at",
                schema: "iaas",
                table: "instances",
                columns: new[] { "status", "priority", "queued_at" });

            migrationBuilder.CreateIndex(
                name: "ix_images_owner_tenant_id",
                schema: "iaas",
                table: "images",
                column: "owner_tenant_id");

            migrationBuilder.CreateIndex(
                name: "ix_images_source_instance_id",
                schema: "iaas",
                table: "images",
                column: "source_instance_id");

            migrationBuilder.CreateIndex(
                name: "ix_reservation_slots_host_id_end",
                schema: "iaas",
                table: "reservation_slots",
                columns: new[] { "host_id", "end" });

            migrationBuilder.CreateIndex(
                name: "ix_reservation_slots_reservation_id_instance_id",
                schema: "iaas",
                table: "reservation_slots",
                columns: new[] { "reservation_id", "instance_id" });

            migrationBuilder.CreateIndex(
                name: "ix_reservations_flavor_id",
                schema: "iaas",
                table: "reservations",
                column: "flavor_id");

            migrationBuilder.CreateIndex(
                name: "ix_reservations_sla_plan_id",
                schema: "iaas",
                table: "reservations",
                column: "sla_plan_id");

            migrationBuilder.CreateIndex(
                name: "ix_reservations_status_end",
                schema: "iaas",
                table: "reservations",
                columns: new[] { "status", "end" });

            migrationBuilder.CreateIndex(
                name: "ix_reservations_status_start",
                schema: "iaas",
                table: "reservations",
                columns: new[] { "status", "start" });

            migrationBuilder.CreateIndex(
                name: "ix_reservations_tenant_id_id",
                schema: "iaas",
                table: "reservations",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_reservations_zone_id",
                schema: "iaas",
                table: "reservations",
                column: "zone_id");

            migrationBuilder.AddForeignKey(
                name: "fk_images_tenants_owner_tenant_id",
                schema: "iaas",
                table: "images",
                column: "owner_tenant_id",
                principalSchema: "iaas",
                principalTable: "tenants",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "fk_instances_reservations_reservation_id",
                schema: "iaas",
                table: "instances",
                column: "reservation_id",
                principalSchema: "iaas",
                principalTable: "reservations",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_images_tenants_owner_tenant_id",
                schema: "iaas",
                table: "images");

            migrationBuilder.DropForeignKey(
                name: "fk_instances_reservations_reservation_id",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropTable(
                name: "reservation_slots",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "reservations",
                schema: "iaas");

            migrationBuilder.DropIndex(
                name: "ix_instances_reservation_id",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropIndex(
                name: "ix_instances_status_priority_queued_at",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropIndex(
                name: "ix_images_owner_tenant_id",
                schema: "iaas",
                table: "images");

            migrationBuilder.DropIndex(
                name: "ix_images_source_instance_id",
                schema: "iaas",
                table: "images");

            migrationBuilder.DropColumn(
                name: "status_reason",
                schema: "iaas",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "waiting",
                schema: "iaas",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "claim_kind",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "expires_at",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "preemptible",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "priority",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "queued_at",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "quota_claimed",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "reservation_id",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "scheme",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "owner_tenant_id",
                schema: "iaas",
                table: "images");

            migrationBuilder.DropColumn(
                name: "source_instance_id",
                schema: "iaas",
                table: "images");

            migrationBuilder.DropColumn(
                name: "idle_reserved_disk_gib",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "idle_reserved_memory_mib",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "idle_reserved_network_mbps",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "idle_reserved_vcpus",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "in_slots_disk_gib",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "in_slots_memory_mib",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "in_slots_network_mbps",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "in_slots_vcpus",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "preemptible_disk_gib",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "preemptible_memory_mib",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "preemptible_network_mbps",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "preemptible_vcpus",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "reserved_peak_disk_gib",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "reserved_peak_memory_mib",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "reserved_peak_network_mbps",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "reserved_peak_vcpus",
                schema: "iaas",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "timeline_version",
                schema: "iaas",
                table: "hosts");
        }
    }
}
