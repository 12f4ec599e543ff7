using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "iaas");

            migrationBuilder.CreateTable(
                name: "audit_events",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    key_id = table.Column<Guid>(type: "uuid", nullable: true),
                    role = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: true),
                    method = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    route = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    path = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    resource_id = table.Column<Guid>(type: "uuid", nullable: true),
                    status_code = table.Column<int>(type: "integer", nullable: false),
                    idempotency_key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_events", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "flavors",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    family = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
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
                    table.PrimaryKey("pk_flavors", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "idempotency_records",
                schema: "iaas",
                columns: table => new
                {
                    scope = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    request_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed = table.Column<bool>(type: "boolean", nullable: false),
                    status_code = table.Column<int>(type: "integer", nullable: false),
                    content_type = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    location = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    body = table.Column<byte[]>(type: "bytea", nullable: true),
                    no_replay = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_idempotency_records", x => new { x.scope, x.key });
                });

            migrationBuilder.CreateTable(
                name: "images",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    os = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    format = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    min_disk_gib = table.Column<int>(type: "integer", nullable: false),
                    size_mib = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_images", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "operations",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(48)", maxLength: 48, nullable: false),
                    status = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    progress = table.Column<int>(type: "integer", nullable: false),
                    resource_type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    resource_id = table.Column<Guid>(type: "uuid", nullable: true),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: true),
                    parent_id = table.Column<Guid>(type: "uuid", nullable: true),
                    job_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    queue = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    redrives = table.Column<int>(type: "integer", nullable: false),
                    last_error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    error_detail = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    error_title = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    error_type = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_operations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "regions",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_regions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sla_plans",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    priority = table.Column<int>(type: "integer", nullable: false),
                    schemes = table.Column<string[]>(type: "text[]", nullable: false),
                    preemptible = table.Column<bool>(type: "boolean", nullable: false),
                    placement_strategy = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    availability_target = table.Column<double>(type: "double precision", nullable: false),
                    max_provisioning_seconds = table.Column<int>(type: "integer", nullable: false),
                    price_per_hour = table.Column<decimal>(type: "numeric(12,4)", precision: 12, scale: 4, nullable: false),
                    penalty_percent = table.Column<double>(type: "double precision", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sla_plans", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "tenants",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    quota_instances = table.Column<int>(type: "integer", nullable: false),
                    quota_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    quota_vcpus = table.Column<int>(type: "integer", nullable: false),
                    usage_instances = table.Column<int>(type: "integer", nullable: false),
                    usage_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    usage_vcpus = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_tenants", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "zones",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    region_id = table.Column<Guid>(type: "uuid", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_zones", x => x.id);
                    table.ForeignKey(
                        name: "fk_zones_regions_region_id",
                        column: x => x.region_id,
                        principalSchema: "iaas",
                        principalTable: "regions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "api_keys",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    role = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: true),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    prefix = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    last_used_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_api_keys", x => x.id);
                    table.ForeignKey(
                        name: "fk_api_keys_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalSchema: "iaas",
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "hosts",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    zone_id = table.Column<Guid>(type: "uuid", nullable: false),
                    region_id = table.Column<Guid>(type: "uuid", nullable: false),
                    hypervisor = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    instance_count = table.Column<int>(type: "integer", nullable: false),
                    state = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    power = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    cpu_model = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    cpu_features = table.Column<List<string>>(type: "text[]", nullable: false),
                    traits = table.Column<List<string>>(type: "text[]", nullable: false),
                    allocated_disk_gib = table.Column<int>(type: "integer", nullable: false),
                    allocated_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    allocated_network_mbps = table.Column<int>(type: "integer", nullable: false),
                    allocated_vcpus = table.Column<int>(type: "integer", nullable: false),
                    cpu_allocation_ratio = table.Column<double>(type: "double precision", nullable: false),
                    disk_allocation_ratio = table.Column<double>(type: "double precision", nullable: false),
                    memory_allocation_ratio = table.Column<double>(type: "double precision", nullable: false),
                    capacity_disk_gib = table.Column<int>(type: "integer", nullable: false),
                    capacity_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    capacity_network_mbps = table.Column<int>(type: "integer", nullable: false),
                    capacity_vcpus = table.Column<int>(type: "integer", nullable: false),
                    reserved_disk_gib = table.Column<int>(type: "integer", nullable: false),
                    reserved_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    reserved_network_mbps = table.Column<int>(type: "integer", nullable: false),
                    reserved_vcpus = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_hosts", x => x.id);
                    table.ForeignKey(
                        name: "fk_hosts_regions_region_id",
                        column: x => x.region_id,
                        principalSchema: "iaas",
                        principalTable: "regions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_hosts_zones_zone_id",
                        column: x => x.zone_id,
                        principalSchema: "iaas",
                        principalTable: "zones",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "instances",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    status = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    status_reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    flavor_id = table.Column<Guid>(type: "uuid", nullable: true),
                    image_id = table.Column<Guid>(type: "uuid", nullable: true),
                    sla_plan_id = table.Column<Guid>(type: "uuid", nullable: true),
                    zone_id = table.Column<Guid>(type: "uuid", nullable: true),
                    host_id = table.Column<Guid>(type: "uuid", nullable: true),
                    resources_claimed = table.Column<bool>(type: "boolean", nullable: false),
                    user_data = table.Column<string>(type: "character varying(65536)", maxLength: 65536, nullable: true),
                    operation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
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
                    table.PrimaryKey("pk_instances", x => x.id);
                    table.ForeignKey(
                        name: "fk_instances_flavors_flavor_id",
                        column: x => x.flavor_id,
                        principalSchema: "iaas",
                        principalTable: "flavors",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_hosts_host_id",
                        column: x => x.host_id,
                        principalSchema: "iaas",
                        principalTable: "hosts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_images_image_id",
                        column: x => x.image_id,
                        principalSchema: "iaas",
                        principalTable: "images",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_sla_plans_sla_plan_id",
                        column: x => x.sla_plan_id,
                        principalSchema: "iaas",
                        principalTable: "sla_plans",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_tenants_tenant_id",
                        column: x => x.tenant_id,
                        principalSchema: "iaas",
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_instances_zones_zone_id",
                        column: x => x.zone_id,
                        principalSchema: "iaas",
                        principalTable: "zones",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "instance_actions",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    action = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    from_status = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: true),
                    to_status = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    actor = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: false),
                    operation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    detail = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_instance_actions", x => x.id);
                    table.ForeignKey(
                        name: "fk_instance_actions_instances_instance_id",
                        column: x => x.instance_id,
                        principalSchema: "iaas",
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_hash",
                schema: "iaas",
                table: "api_keys",
                column: "hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_tenant_id",
                schema: "iaas",
                table: "api_keys",
                column: "tenant_id");

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_at",
                schema: "iaas",
                table: "audit_events",
                column: "at");

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_resource_id",
                schema: "iaas",
                table: "audit_events",
                column: "resource_id");

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_tenant_id_id",
                schema: "iaas",
                table: "audit_events",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_flavors_name",
                schema: "iaas",
                table: "flavors",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_hosts_name",
                schema: "iaas",
                table: "hosts",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_hosts_region_id",
                schema: "iaas",
                table: "hosts",
                column: "region_id");

            migrationBuilder.CreateIndex(
                name: "ix_hosts_zone_id",
                schema: "iaas",
                table: "hosts",
                column: "zone_id");

            migrationBuilder.CreateIndex(
                name: "ix_idempotency_records_created_at",
                schema: "iaas",
                table: "idempotency_records",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_images_name",
                schema: "iaas",
                table: "images",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_instance_actions_instance_id_id",
                schema: "iaas",
                table: "instance_actions",
                columns: new[] { "instance_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_instance_actions_operation_id",
                schema: "iaas",
                table: "instance_actions",
                column: "operation_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_flavor_id",
                schema: "iaas",
                table: "instances",
                column: "flavor_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_host_id_status",
                schema: "iaas",
                table: "instances",
                columns: new[] { "host_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_instances_image_id",
                schema: "iaas",
                table: "instances",
                column: "image_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_sla_plan_id",
                schema: "iaas",
                table: "instances",
                column: "sla_plan_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_status",
                schema: "iaas",
                table: "instances",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "ix_instances_tenant_id_id",
                schema: "iaas",
                table: "instances",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_instances_zone_id",
                schema: "iaas",
                table: "instances",
                column: "zone_id");

            migrationBuilder.CreateIndex(
                name: "ix_operations_parent_id",
                schema: "iaas",
                table: "operations",
                column: "parent_id");

            migrationBuilder.CreateIndex(
                name: "ix_operations_resource_id",
                schema: "iaas",
                table: "operations",
                column: "resource_id");

            migrationBuilder.CreateIndex(
                name: "ix_operations_status_updated_at",
                schema: "iaas",
                table: "operations",
                columns: new[] { "status", "updated_at" });

            migrationBuilder.CreateIndex(
                name: "ix_operations_tenant_id_id",
                schema: "iaas",
                table: "operations",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_regions_name",
                schema: "iaas",
                table: "regions",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sla_plans_name",
                schema: "iaas",
                table: "sla_plans",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_tenants_name",
                schema: "iaas",
                table: "tenants",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_zones_name",
                schema: "iaas",
                table: "zones",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_zones_region_id",
                schema: "iaas",
                table: "zones",
                column: "region_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_keys",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "audit_events",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "idempotency_records",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "instance_actions",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "operations",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "instances",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "flavors",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "hosts",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "images",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "sla_plans",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "tenants",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "zones",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "regions",
                schema: "iaas");
        }
    }
}
