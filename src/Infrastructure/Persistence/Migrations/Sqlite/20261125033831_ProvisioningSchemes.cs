using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ProvisioningSchemes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "status_reason",
                table: "operations",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "waiting",
                table: "operations",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "claim_kind",
                table: "instances",
                type: "TEXT",
                maxLength: 24,
                nullable: false,
                defaultValue: "persistent");

            migrationBuilder.AddColumn<long>(
                name: "expires_at",
                table: "instances",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "preemptible",
                table: "instances",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "priority",
                table: "instances",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "queued_at",
                table: "instances",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "quota_claimed",
                table: "instances",
                type: "INTEGER",
                nullable: false,
                defaultValue: true);

            migrationBuilder.AddColumn<Guid>(
                name: "reservation_id",
                table: "instances",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "scheme",
                table: "instances",
                type: "TEXT",
                maxLength: 24,
                nullable: false,
                defaultValue: "immediate");

            migrationBuilder.AddColumn<Guid>(
                name: "owner_tenant_id",
                table: "images",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "source_instance_id",
                table: "images",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "idle_reserved_disk_gib",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "idle_reserved_memory_mib",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "idle_reserved_network_mbps",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "idle_reserved_vcpus",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "in_slots_disk_gib",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "in_slots_memory_mib",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "in_slots_network_mbps",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "in_slots_vcpus",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "preemptible_disk_gib",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "preemptible_memory_mib",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "preemptible_network_mbps",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "preemptible_vcpus",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "reserved_peak_disk_gib",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "reserved_peak_memory_mib",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "reserved_peak_network_mbps",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "reserved_peak_vcpus",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "timeline_version",
                table: "hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "reservations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    flavor_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    count = table.Column<int>(type: "INTEGER", nullable: false),
                    units_free = table.Column<int>(type: "INTEGER", nullable: false),
                    zone_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    sla_plan_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    start = table.Column<long>(type: "INTEGER", nullable: false),
                    end = table.Column<long>(type: "INTEGER", nullable: false),
                    on_end = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    auto_start = table.Column<bool>(type: "INTEGER", nullable: false),
                    grace_seconds = table.Column<int>(type: "INTEGER", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    notice_given_at = table.Column<long>(type: "INTEGER", nullable: true),
                    started_at = table.Column<long>(type: "INTEGER", nullable: true),
                    ended_at = table.Column<long>(type: "INTEGER", nullable: true),
                    resources_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    resources_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    resources_network_mbps = table.Column<int>(type: "INTEGER", nullable: false),
                    resources_vcpus = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reservations", x => x.id);
                    table.ForeignKey(
                        name: "fk_reservations_flavors_flavor_id",
                        column: x => x.flavor_id,
                        principalTable: "flavors",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_reservations_sla_plans_sla_plan_id",
                        column: x => x.sla_plan_id,
                        principalTable: "sla_plans",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_reservations_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_reservations_zones_zone_id",
                        column: x => x.zone_id,
                        principalTable: "zones",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "reservation_slots",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    reservation_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    host_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    start = table.Column<long>(type: "INTEGER", nullable: false),
                    end = table.Column<long>(type: "INTEGER", nullable: false),
                    instance_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    resources_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    resources_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    resources_network_mbps = table.Column<int>(type: "INTEGER", nullable: false),
                    resources_vcpus = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reservation_slots", x => x.id);
                    table.ForeignKey(
                        name: "fk_reservation_slots_hosts_host_id",
                        column: x => x.host_id,
                        principalTable: "hosts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_reservation_slots_reservations_reservation_id",
                        column: x => x.reservation_id,
                        principalTable: "reservations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_instances_reservation_id",
                table: "instances",
                column: "reservation_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_status_priority_queued_at",
                table: "instances",
                columns: new[] { "status", "priority", "queued_at" });

            migrationBuilder.CreateIndex(
                name: "ix_images_owner_tenant_id",
                table: "images",
                column: "owner_tenant_id");

            migrationBuilder.CreateIndex(
                name: "ix_images_source_instance_id",
                table: "images",
                column: "source_instance_id");

            migrationBuilder.CreateIndex(
                name: "ix_reservation_slots_host_id_end",
                table: "reservation_slots",
                columns: new[] { "host_id", "end" });

            migrationBuilder.CreateIndex(
                name: "ix_reservation_slots_reservation_id_instance_id",
                table: "reservation_slots",
                columns: new[] { "reservation_id", "instance_id" });

            migrationBuilder.CreateIndex(
                name: "ix_reservations_flavor_id",
                table: "reservations",
                column: "flavor_id");

            migrationBuilder.CreateIndex(
                name: "ix_reservations_sla_plan_id",
                table: "reservations",
                column: "sla_plan_id");

            migrationBuilder.CreateIndex(
                name: "ix_reservations_status_end",
                table: "reservations",
                columns: new[] { "status", "end" });

            migrationBuilder.CreateIndex(
                name: "ix_reservations_status_start",
                table: "reservations",
                columns: new[] { "status", "start" });

            migrationBuilder.CreateIndex(
                name: "ix_reservations_tenant_id_id",
                table: "reservations",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_reservations_zone_id",
                table: "reservations",
                column: "zone_id");

            migrationBuilder.AddForeignKey(
                name: "fk_images_tenants_owner_tenant_id",
                table: "images",
                column: "owner_tenant_id",
                principalTable: "tenants",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);

            migrationBuilder.AddForeignKey(
                name: "fk_instances_reservations_reservation_id",
                table: "instances",
                column: "reservation_id",
                principalTable: "reservations",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_images_tenants_owner_tenant_id",
                table: "images");

            migrationBuilder.DropForeignKey(
                name: "fk_instances_reservations_reservation_id",
                table: "instances");

            migrationBuilder.DropTable(
                name: "reservation_slots");

            migrationBuilder.DropTable(
                name: "reservations");

            migrationBuilder.DropIndex(
                name: "ix_instances_reservation_id",
                table: "instances");

            migrationBuilder.DropIndex(
                name: "ix_instances_status_priority_queued_at",
                table: "instances");

            migrationBuilder.DropIndex(
                name: "ix_images_owner_tenant_id",
                table: "images");

            migrationBuilder.DropIndex(
                name: "ix_images_source_instance_id",
                table: "images");

            migrationBuilder.DropColumn(
                name: "status_reason",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "waiting",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "claim_kind",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "expires_at",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "preemptible",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "priority",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "queued_at",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "quota_claimed",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "reservation_id",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "scheme",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "owner_tenant_id",
                table: "images");

            migrationBuilder.DropColumn(
                name: "source_instance_id",
                table: "images");

            migrationBuilder.DropColumn(
                name: "idle_reserved_disk_gib",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "idle_reserved_memory_mib",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "idle_reserved_network_mbps",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "idle_reserved_vcpus",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "in_slots_disk_gib",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "in_slots_memory_mib",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "in_slots_network_mbps",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "in_slots_vcpus",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "preemptible_disk_gib",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "preemptible_memory_mib",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "preemptible_network_mbps",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "preemptible_vcpus",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "reserved_peak_disk_gib",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "reserved_peak_memory_mib",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "reserved_peak_network_mbps",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "reserved_peak_vcpus",
                table: "hosts");

            migrationBuilder.DropColumn(
                name: "timeline_version",
                table: "hosts");
        }
    }
}
