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
                name: "agent_tasks",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    host_id = table.Column<Guid>(type: "uuid", nullable: false),
                    migration_id = table.Column<Guid>(type: "uuid", nullable: true),
                    kind = table.Column<string>(type: "character varying(48)", maxLength: 48, nullable: false),
                    status = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    request = table.Column<string>(type: "text", nullable: false),
                    result = table.Column<string>(type: "text", nullable: true),
                    error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    transient = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_agent_tasks", x => x.id);
                });

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
                    required_cpu_model = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    required_cpu_features = table.Column<List<string>>(type: "text[]", nullable: false),
                    required_traits = table.Column<List<string>>(type: "text[]", nullable: false),
                    forbidden_traits = table.Column<List<string>>(type: "text[]", nullable: false),
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
                    client_token = table.Column<string>(type: "character varying(336)", maxLength: 336, nullable: true),
                    request_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    parameters = table.Column<string>(type: "text", nullable: true),
                    queue = table.Column<string>(type: "character varying(80)", maxLength: 80, nullable: true),
                    waiting = table.Column<bool>(type: "boolean", nullable: false),
                    status_reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
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
                    required_capabilities = table.Column<List<string>>(type: "text[]", nullable: false),
                    migration_max_downtime_ms = table.Column<int>(type: "integer", nullable: true),
                    migration_escalation = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: true),
                    migration_timeout_seconds_per_gib = table.Column<double>(type: "double precision", nullable: true),
                    migration_allow_cold = table.Column<bool>(type: "boolean", nullable: false),
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
                    hypervisor = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    required_cpu_model = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    required_cpu_features = table.Column<List<string>>(type: "text[]", nullable: false),
                    required_traits = table.Column<List<string>>(type: "text[]", nullable: false),
                    forbidden_traits = table.Column<List<string>>(type: "text[]", nullable: false),
                    owner_tenant_id = table.Column<Guid>(type: "uuid", nullable: true),
                    source_instance_id = table.Column<Guid>(type: "uuid", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_images", x => x.id);
                    table.ForeignKey(
                        name: "fk_images_tenants_owner_tenant_id",
                        column: x => x.owner_tenant_id,
                        principalSchema: "iaas",
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

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
                    timeline_version = table.Column<long>(type: "bigint", nullable: false),
                    instance_count = table.Column<int>(type: "integer", nullable: false),
                    state = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    power = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    cpu_model = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    cpu_features = table.Column<List<string>>(type: "text[]", nullable: false),
                    traits = table.Column<List<string>>(type: "text[]", nullable: false),
                    config_version = table.Column<long>(type: "bigint", nullable: false),
                    last_heartbeat_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    reported_vcpus = table.Column<int>(type: "integer", nullable: true),
                    reported_memory_mib = table.Column<int>(type: "integer", nullable: true),
                    reported_disk_gib = table.Column<int>(type: "integer", nullable: true),
                    unmanaged_vms = table.Column<string>(type: "text", nullable: false),
                    reconciled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    down_since = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    state_before_down = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: true),
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
                    idle_reserved_disk_gib = table.Column<int>(type: "integer", nullable: false),
                    idle_reserved_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    idle_reserved_network_mbps = table.Column<int>(type: "integer", nullable: false),
                    idle_reserved_vcpus = table.Column<int>(type: "integer", nullable: false),
                    preemptible_disk_gib = table.Column<int>(type: "integer", nullable: false),
                    preemptible_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    preemptible_network_mbps = table.Column<int>(type: "integer", nullable: false),
                    preemptible_vcpus = table.Column<int>(type: "integer", nullable: false),
                    reserved_disk_gib = table.Column<int>(type: "integer", nullable: false),
                    reserved_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    reserved_network_mbps = table.Column<int>(type: "integer", nullable: false),
                    reserved_vcpus = table.Column<int>(type: "integer", nullable: false),
                    reserved_peak_disk_gib = table.Column<int>(type: "integer", nullable: false),
                    reserved_peak_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    reserved_peak_network_mbps = table.Column<int>(type: "integer", nullable: false),
                    reserved_peak_vcpus = table.Column<int>(type: "integer", nullable: false),
                    in_slots_disk_gib = table.Column<int>(type: "integer", nullable: false),
                    in_slots_memory_mib = table.Column<int>(type: "integer", nullable: false),
                    in_slots_network_mbps = table.Column<int>(type: "integer", nullable: false),
                    in_slots_vcpus = table.Column<int>(type: "integer", nullable: false),
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
                name: "storage_pools",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    zone_id = table.Column<Guid>(type: "uuid", nullable: false),
                    capacity_gib = table.Column<int>(type: "integer", nullable: false),
                    allocated_gib = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_storage_pools", x => x.id);
                    table.ForeignKey(
                        name: "fk_storage_pools_zones_zone_id",
                        column: x => x.zone_id,
                        principalSchema: "iaas",
                        principalTable: "zones",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
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
                    last_host_id = table.Column<Guid>(type: "uuid", nullable: true),
                    server_group_id = table.Column<Guid>(type: "uuid", nullable: true),
                    scheme = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    preemptible = table.Column<bool>(type: "boolean", nullable: false),
                    priority = table.Column<int>(type: "integer", nullable: false),
                    reservation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    queued_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    claim_kind = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    quota_claimed = table.Column<bool>(type: "boolean", nullable: false),
                    storage_pool_id = table.Column<Guid>(type: "uuid", nullable: true),
                    guest_touched_mib = table.Column<double>(type: "double precision", nullable: true),
                    guest_working_set_mib = table.Column<double>(type: "double precision", nullable: true),
                    guest_dirty_rate_mibps = table.Column<double>(type: "double precision", nullable: true),
                    guest_measured_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    pooled_disk_gib = table.Column<int>(type: "integer", nullable: false),
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
                        name: "fk_instances_hosts_last_host_id",
                        column: x => x.last_host_id,
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
                        name: "fk_instances_reservations_reservation_id",
                        column: x => x.reservation_id,
                        principalSchema: "iaas",
                        principalTable: "reservations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_server_groups_server_group_id",
                        column: x => x.server_group_id,
                        principalSchema: "iaas",
                        principalTable: "server_groups",
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
                        name: "fk_instances_storage_pools_storage_pool_id",
                        column: x => x.storage_pool_id,
                        principalSchema: "iaas",
                        principalTable: "storage_pools",
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

            migrationBuilder.CreateTable(
                name: "migrations",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    type = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    source_host_id = table.Column<Guid>(type: "uuid", nullable: false),
                    target_host_id = table.Column<Guid>(type: "uuid", nullable: true),
                    max_downtime_ms = table.Column<int>(type: "integer", nullable: true),
                    bandwidth_mbps = table.Column<int>(type: "integer", nullable: true),
                    escalation = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    timeout_seconds_per_gib = table.Column<double>(type: "double precision", nullable: true),
                    operation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    target_claimed = table.Column<bool>(type: "boolean", nullable: false),
                    cancel_requested = table.Column<bool>(type: "boolean", nullable: false),
                    force_complete_requested = table.Column<bool>(type: "boolean", nullable: false),
                    status = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    stages = table.Column<string>(type: "text", nullable: false),
                    rounds = table.Column<string>(type: "text", nullable: false),
                    downtime_ms = table.Column<double>(type: "double precision", nullable: true),
                    hypervisor_total_ms = table.Column<double>(type: "double precision", nullable: true),
                    transferred_mib = table.Column<double>(type: "double precision", nullable: true),
                    remaining_mib = table.Column<double>(type: "double precision", nullable: true),
                    restart_on_target = table.Column<bool>(type: "boolean", nullable: false),
                    disk_copied_mib = table.Column<double>(type: "double precision", nullable: true),
                    disk_total_mib = table.Column<double>(type: "double precision", nullable: true),
                    source_pool_id = table.Column<Guid>(type: "uuid", nullable: true),
                    target_pool_id = table.Column<Guid>(type: "uuid", nullable: true),
                    pre_copy_outcome = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: true),
                    reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_migrations", x => x.id);
                    table.ForeignKey(
                        name: "fk_migrations_instances_instance_id",
                        column: x => x.instance_id,
                        principalSchema: "iaas",
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "snapshots",
                schema: "iaas",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    instance_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    status = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    status_reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    includes_memory = table.Column<bool>(type: "boolean", nullable: false),
                    size_mib = table.Column<int>(type: "integer", nullable: true),
                    operation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_snapshots", x => x.id);
                    table.ForeignKey(
                        name: "fk_snapshots_instances_instance_id",
                        column: x => x.instance_id,
                        principalSchema: "iaas",
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_agent_tasks_created_at",
                schema: "iaas",
                table: "agent_tasks",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_agent_tasks_migration_id_host_id_kind",
                schema: "iaas",
                table: "agent_tasks",
                columns: new[] { "migration_id", "host_id", "kind" });

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
                name: "ix_hosts_updated_at",
                schema: "iaas",
                table: "hosts",
                column: "updated_at");

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
                name: "ix_instances_last_host_id",
                schema: "iaas",
                table: "instances",
                column: "last_host_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_reservation_id",
                schema: "iaas",
                table: "instances",
                column: "reservation_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_server_group_id_status",
                schema: "iaas",
                table: "instances",
                columns: new[] { "server_group_id", "status" });

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
                name: "ix_instances_status_priority_queued_at",
                schema: "iaas",
                table: "instances",
                columns: new[] { "status", "priority", "queued_at" });

            migrationBuilder.CreateIndex(
                name: "ix_instances_storage_pool_id",
                schema: "iaas",
                table: "instances",
                column: "storage_pool_id");

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
                name: "ix_migrations_instance_id_status",
                schema: "iaas",
                table: "migrations",
                columns: new[] { "instance_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_migrations_source_host_id",
                schema: "iaas",
                table: "migrations",
                column: "source_host_id");

            migrationBuilder.CreateIndex(
                name: "ix_migrations_status_id",
                schema: "iaas",
                table: "migrations",
                columns: new[] { "status", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_migrations_target_host_id",
                schema: "iaas",
                table: "migrations",
                column: "target_host_id");

            migrationBuilder.CreateIndex(
                name: "ix_migrations_target_pool_id",
                schema: "iaas",
                table: "migrations",
                column: "target_pool_id");

            migrationBuilder.CreateIndex(
                name: "ux_migrations_instance_live",
                schema: "iaas",
                table: "migrations",
                column: "instance_id",
                unique: true,
                filter: "status IN ('queued', 'running')");

            migrationBuilder.CreateIndex(
                name: "ix_operations_client_token",
                schema: "iaas",
                table: "operations",
                column: "client_token",
                unique: true);

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

            migrationBuilder.CreateIndex(
                name: "ix_server_groups_tenant_id_id",
                schema: "iaas",
                table: "server_groups",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_sla_plans_name",
                schema: "iaas",
                table: "sla_plans",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_snapshots_instance_id_status",
                schema: "iaas",
                table: "snapshots",
                columns: new[] { "instance_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_snapshots_tenant_id_id",
                schema: "iaas",
                table: "snapshots",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_storage_pools_name",
                schema: "iaas",
                table: "storage_pools",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_storage_pools_zone_id",
                schema: "iaas",
                table: "storage_pools",
                column: "zone_id");

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
                name: "agent_tasks",
                schema: "iaas");

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
                name: "migrations",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "operations",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "reservation_slots",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "snapshots",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "instances",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "hosts",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "images",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "reservations",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "server_groups",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "storage_pools",
                schema: "iaas");

            migrationBuilder.DropTable(
                name: "flavors",
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
