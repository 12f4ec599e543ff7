using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_events",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    key_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    role = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    method = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    route = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    path = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    resource_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    status_code = table.Column<int>(type: "INTEGER", nullable: false),
                    idempotency_key = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_events", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "flavors",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    family = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
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
                    table.PrimaryKey("pk_flavors", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "idempotency_records",
                columns: table => new
                {
                    scope = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    request_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    completed = table.Column<bool>(type: "INTEGER", nullable: false),
                    status_code = table.Column<int>(type: "INTEGER", nullable: false),
                    content_type = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    location = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    body = table.Column<byte[]>(type: "BLOB", nullable: true),
                    no_replay = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_idempotency_records", x => new { x.scope, x.key });
                });

            migrationBuilder.CreateTable(
                name: "images",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    os = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    format = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    min_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    size_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_images", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "operations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 48, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    progress = table.Column<int>(type: "INTEGER", nullable: false),
                    resource_type = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    resource_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    parent_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    job_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    queue = table.Column<string>(type: "TEXT", maxLength: 80, nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    redrives = table.Column<int>(type: "INTEGER", nullable: false),
                    last_error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    completed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    error_detail = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    error_title = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    error_type = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_operations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "regions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_regions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sla_plans",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    priority = table.Column<int>(type: "INTEGER", nullable: false),
                    schemes = table.Column<string>(type: "TEXT", nullable: false),
                    preemptible = table.Column<bool>(type: "INTEGER", nullable: false),
                    placement_strategy = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    availability_target = table.Column<double>(type: "REAL", nullable: false),
                    max_provisioning_seconds = table.Column<int>(type: "INTEGER", nullable: false),
                    price_per_hour = table.Column<double>(type: "REAL", precision: 12, scale: 4, nullable: false),
                    penalty_percent = table.Column<double>(type: "REAL", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sla_plans", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tenants",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    quota_instances = table.Column<int>(type: "INTEGER", nullable: false),
                    quota_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    quota_vcpus = table.Column<int>(type: "INTEGER", nullable: false),
                    usage_instances = table.Column<int>(type: "INTEGER", nullable: false),
                    usage_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    usage_vcpus = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tenants", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "zones",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    region_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_zones", x => x.id);
                    table.ForeignKey(
                        name: "fk_zones_regions_region_id",
                        column: x => x.region_id,
                        principalTable: "regions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "api_keys",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    role = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    prefix = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    last_used_at = table.Column<long>(type: "INTEGER", nullable: true),
                    revoked_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_api_keys", x => x.id);
                    table.ForeignKey(
                        name: "fk_api_keys_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "hosts",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    zone_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    region_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    hypervisor = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    instance_count = table.Column<int>(type: "INTEGER", nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    power = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    cpu_model = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    cpu_features = table.Column<string>(type: "TEXT", nullable: false),
                    traits = table.Column<string>(type: "TEXT", nullable: false),
                    allocated_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    allocated_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    allocated_network_mbps = table.Column<int>(type: "INTEGER", nullable: false),
                    allocated_vcpus = table.Column<int>(type: "INTEGER", nullable: false),
                    cpu_allocation_ratio = table.Column<double>(type: "REAL", nullable: false),
                    disk_allocation_ratio = table.Column<double>(type: "REAL", nullable: false),
                    memory_allocation_ratio = table.Column<double>(type: "REAL", nullable: false),
                    capacity_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    capacity_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    capacity_network_mbps = table.Column<int>(type: "INTEGER", nullable: false),
                    capacity_vcpus = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_network_mbps = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_vcpus = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_hosts", x => x.id);
                    table.ForeignKey(
                        name: "fk_hosts_regions_region_id",
                        column: x => x.region_id,
                        principalTable: "regions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_hosts_zones_zone_id",
                        column: x => x.zone_id,
                        principalTable: "zones",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "instances",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    status_reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    flavor_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    image_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    sla_plan_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    zone_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    host_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    resources_claimed = table.Column<bool>(type: "INTEGER", nullable: false),
                    user_data = table.Column<string>(type: "TEXT", maxLength: 65536, nullable: true),
                    operation_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    deleted_at = table.Column<long>(type: "INTEGER", nullable: true),
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
                    table.PrimaryKey("pk_instances", x => x.id);
                    table.ForeignKey(
                        name: "fk_instances_flavors_flavor_id",
                        column: x => x.flavor_id,
                        principalTable: "flavors",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_hosts_host_id",
                        column: x => x.host_id,
                        principalTable: "hosts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_images_image_id",
                        column: x => x.image_id,
                        principalTable: "images",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_sla_plans_sla_plan_id",
                        column: x => x.sla_plan_id,
                        principalTable: "sla_plans",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_instances_zones_zone_id",
                        column: x => x.zone_id,
                        principalTable: "zones",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "instance_actions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    instance_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    from_status = table.Column<string>(type: "TEXT", maxLength: 24, nullable: true),
                    to_status = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    operation_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    detail = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_instance_actions", x => x.id);
                    table.ForeignKey(
                        name: "fk_instance_actions_instances_instance_id",
                        column: x => x.instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_hash",
                table: "api_keys",
                column: "hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_tenant_id",
                table: "api_keys",
                column: "tenant_id");

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_at",
                table: "audit_events",
                column: "at");

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_resource_id",
                table: "audit_events",
                column: "resource_id");

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_tenant_id_id",
                table: "audit_events",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_flavors_name",
                table: "flavors",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_hosts_name",
                table: "hosts",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_hosts_region_id",
                table: "hosts",
                column: "region_id");

            migrationBuilder.CreateIndex(
                name: "ix_hosts_zone_id",
                table: "hosts",
                column: "zone_id");

            migrationBuilder.CreateIndex(
                name: "ix_idempotency_records_created_at",
                table: "idempotency_records",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_images_name",
                table: "images",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_instance_actions_instance_id_id",
                table: "instance_actions",
                columns: new[] { "instance_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_instance_actions_operation_id",
                table: "instance_actions",
                column: "operation_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_flavor_id",
                table: "instances",
                column: "flavor_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_host_id_status",
                table: "instances",
                columns: new[] { "host_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_instances_image_id",
                table: "instances",
                column: "image_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_sla_plan_id",
                table: "instances",
                column: "sla_plan_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_status",
                table: "instances",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "ix_instances_tenant_id_id",
                table: "instances",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_instances_zone_id",
                table: "instances",
                column: "zone_id");

            migrationBuilder.CreateIndex(
                name: "ix_operations_parent_id",
                table: "operations",
                column: "parent_id");

            migrationBuilder.CreateIndex(
                name: "ix_operations_resource_id",
                table: "operations",
                column: "resource_id");

            migrationBuilder.CreateIndex(
                name: "ix_operations_status_updated_at",
                table: "operations",
                columns: new[] { "status", "updated_at" });

            migrationBuilder.CreateIndex(
                name: "ix_operations_tenant_id_id",
                table: "operations",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_regions_name",
                table: "regions",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sla_plans_name",
                table: "sla_plans",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_tenants_name",
                table: "tenants",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_zones_name",
                table: "zones",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_zones_region_id",
                table: "zones",
                column: "region_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_keys");

            migrationBuilder.DropTable(
                name: "audit_events");

            migrationBuilder.DropTable(
                name: "idempotency_records");

            migrationBuilder.DropTable(
                name: "instance_actions");

            migrationBuilder.DropTable(
                name: "operations");

            migrationBuilder.DropTable(
                name: "instances");

            migrationBuilder.DropTable(
                name: "flavors");

            migrationBuilder.DropTable(
                name: "hosts");

            migrationBuilder.DropTable(
                name: "images");

            migrationBuilder.DropTable(
                name: "sla_plans");

            migrationBuilder.DropTable(
                name: "tenants");

            migrationBuilder.DropTable(
                name: "zones");

            migrationBuilder.DropTable(
                name: "regions");
        }
    }
}
