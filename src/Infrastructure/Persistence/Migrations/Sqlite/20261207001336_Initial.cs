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
                name: "agent_tasks",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    host_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    migration_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    kind = table.Column<string>(type: "TEXT", maxLength: 48, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    request = table.Column<string>(type: "TEXT", nullable: false),
                    result = table.Column<string>(type: "TEXT", nullable: true),
                    error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    transient = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_agent_tasks", x => x.id);
                });

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
                    required_cpu_model = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    required_cpu_features = table.Column<string>(type: "TEXT", nullable: false),
                    required_traits = table.Column<string>(type: "TEXT", nullable: false),
                    forbidden_traits = table.Column<string>(type: "TEXT", nullable: false),
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
                    client_token = table.Column<string>(type: "TEXT", maxLength: 336, nullable: true),
                    request_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    parameters = table.Column<string>(type: "TEXT", nullable: true),
                    queue = table.Column<string>(type: "TEXT", maxLength: 80, nullable: true),
                    waiting = table.Column<bool>(type: "INTEGER", nullable: false),
                    status_reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
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
                    required_capabilities = table.Column<string>(type: "TEXT", nullable: false),
                    migration_max_downtime_ms = table.Column<int>(type: "INTEGER", nullable: true),
                    migration_escalation = table.Column<string>(type: "TEXT", maxLength: 24, nullable: true),
                    migration_timeout_seconds_per_gib = table.Column<double>(type: "REAL", nullable: true),
                    migration_allow_cold = table.Column<bool>(type: "INTEGER", nullable: false),
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
                name: "images",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    os = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    format = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    min_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    size_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    hypervisor = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    required_cpu_model = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    required_cpu_features = table.Column<string>(type: "TEXT", nullable: false),
                    required_traits = table.Column<string>(type: "TEXT", nullable: false),
                    forbidden_traits = table.Column<string>(type: "TEXT", nullable: false),
                    owner_tenant_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    source_instance_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_images", x => x.id);
                    table.ForeignKey(
                        name: "fk_images_tenants_owner_tenant_id",
                        column: x => x.owner_tenant_id,
                        principalTable: "tenants",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

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

            migrationBuilder.CreateTable(
                name: "hosts",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    zone_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    region_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    hypervisor = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    timeline_version = table.Column<long>(type: "INTEGER", nullable: false),
                    instance_count = table.Column<int>(type: "INTEGER", nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    power = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    cpu_model = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    cpu_features = table.Column<string>(type: "TEXT", nullable: false),
                    traits = table.Column<string>(type: "TEXT", nullable: false),
                    config_version = table.Column<long>(type: "INTEGER", nullable: false),
                    last_heartbeat_at = table.Column<long>(type: "INTEGER", nullable: true),
                    reported_vcpus = table.Column<int>(type: "INTEGER", nullable: true),
                    reported_memory_mib = table.Column<int>(type: "INTEGER", nullable: true),
                    reported_disk_gib = table.Column<int>(type: "INTEGER", nullable: true),
                    unmanaged_vms = table.Column<string>(type: "TEXT", nullable: false),
                    reconciled_at = table.Column<long>(type: "INTEGER", nullable: true),
                    down_since = table.Column<long>(type: "INTEGER", nullable: true),
                    state_before_down = table.Column<string>(type: "TEXT", maxLength: 24, nullable: true),
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
                    idle_reserved_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    idle_reserved_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    idle_reserved_network_mbps = table.Column<int>(type: "INTEGER", nullable: false),
                    idle_reserved_vcpus = table.Column<int>(type: "INTEGER", nullable: false),
                    preemptible_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    preemptible_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    preemptible_network_mbps = table.Column<int>(type: "INTEGER", nullable: false),
                    preemptible_vcpus = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_network_mbps = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_vcpus = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_peak_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_peak_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_peak_network_mbps = table.Column<int>(type: "INTEGER", nullable: false),
                    reserved_peak_vcpus = table.Column<int>(type: "INTEGER", nullable: false),
                    in_slots_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    in_slots_memory_mib = table.Column<int>(type: "INTEGER", nullable: false),
                    in_slots_network_mbps = table.Column<int>(type: "INTEGER", nullable: false),
                    in_slots_vcpus = table.Column<int>(type: "INTEGER", nullable: false),
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
                name: "storage_pools",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    zone_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    capacity_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    allocated_gib = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_storage_pools", x => x.id);
                    table.ForeignKey(
                        name: "fk_storage_pools_zones_zone_id",
                        column: x => x.zone_id,
                        principalTable: "zones",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
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
                    last_host_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    server_group_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    scheme = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    preemptible = table.Column<bool>(type: "INTEGER", nullable: false),
                    priority = table.Column<int>(type: "INTEGER", nullable: false),
                    reservation_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    queued_at = table.Column<long>(type: "INTEGER", nullable: true),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: true),
                    claim_kind = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    quota_claimed = table.Column<bool>(type: "INTEGER", nullable: false),
                    storage_pool_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    guest_touched_mib = table.Column<double>(type: "REAL", nullable: true),
                    guest_working_set_mib = table.Column<double>(type: "REAL", nullable: true),
                    guest_dirty_rate_mibps = table.Column<double>(type: "REAL", nullable: true),
                    guest_measured_at = table.Column<long>(type: "INTEGER", nullable: true),
                    pooled_disk_gib = table.Column<int>(type: "INTEGER", nullable: false),
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
                        name: "fk_instances_hosts_last_host_id",
                        column: x => x.last_host_id,
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
                        name: "fk_instances_reservations_reservation_id",
                        column: x => x.reservation_id,
                        principalTable: "reservations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_server_groups_server_group_id",
                        column: x => x.server_group_id,
                        principalTable: "server_groups",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_sla_plans_sla_plan_id",
                        column: x => x.sla_plan_id,
                        principalTable: "sla_plans",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_instances_storage_pools_storage_pool_id",
                        column: x => x.storage_pool_id,
                        principalTable: "storage_pools",
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

            migrationBuilder.CreateTable(
                name: "migrations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    instance_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    source_host_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    target_host_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    max_downtime_ms = table.Column<int>(type: "INTEGER", nullable: true),
                    bandwidth_mbps = table.Column<int>(type: "INTEGER", nullable: true),
                    escalation = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    timeout_seconds_per_gib = table.Column<double>(type: "REAL", nullable: true),
                    operation_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    target_claimed = table.Column<bool>(type: "INTEGER", nullable: false),
                    cancel_requested = table.Column<bool>(type: "INTEGER", nullable: false),
                    force_complete_requested = table.Column<bool>(type: "INTEGER", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    stages = table.Column<string>(type: "TEXT", nullable: false),
                    rounds = table.Column<string>(type: "TEXT", nullable: false),
                    downtime_ms = table.Column<double>(type: "REAL", nullable: true),
                    hypervisor_total_ms = table.Column<double>(type: "REAL", nullable: true),
                    transferred_mib = table.Column<double>(type: "REAL", nullable: true),
                    remaining_mib = table.Column<double>(type: "REAL", nullable: true),
                    restart_on_target = table.Column<bool>(type: "INTEGER", nullable: false),
                    disk_copied_mib = table.Column<double>(type: "REAL", nullable: true),
                    disk_total_mib = table.Column<double>(type: "REAL", nullable: true),
                    source_pool_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    target_pool_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    pre_copy_outcome = table.Column<string>(type: "TEXT", maxLength: 24, nullable: true),
                    reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: true),
                    ended_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_migrations", x => x.id);
                    table.ForeignKey(
                        name: "fk_migrations_instances_instance_id",
                        column: x => x.instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "snapshots",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    instance_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    tenant_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    status_reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    includes_memory = table.Column<bool>(type: "INTEGER", nullable: false),
                    size_mib = table.Column<int>(type: "INTEGER", nullable: true),
                    operation_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_snapshots", x => x.id);
                    table.ForeignKey(
                        name: "fk_snapshots_instances_instance_id",
                        column: x => x.instance_id,
                        principalTable: "instances",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_agent_tasks_created_at",
                table: "agent_tasks",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_agent_tasks_migration_id_host_id_kind",
                table: "agent_tasks",
                columns: new[] { "migration_id", "host_id", "kind" });

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
                name: "ix_hosts_updated_at",
                table: "hosts",
                column: "updated_at");

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
                name: "ix_images_owner_tenant_id",
                table: "images",
                column: "owner_tenant_id");

            migrationBuilder.CreateIndex(
                name: "ix_images_source_instance_id",
                table: "images",
                column: "source_instance_id");

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
                name: "ix_instances_last_host_id",
                table: "instances",
                column: "last_host_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_reservation_id",
                table: "instances",
                column: "reservation_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_server_group_id_status",
                table: "instances",
                columns: new[] { "server_group_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_instances_sla_plan_id",
                table: "instances",
                column: "sla_plan_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_status",
                table: "instances",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "ix_instances_status_priority_queued_at",
                table: "instances",
                columns: new[] { "status", "priority", "queued_at" });

            migrationBuilder.CreateIndex(
                name: "ix_instances_storage_pool_id",
                table: "instances",
                column: "storage_pool_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_tenant_id_id",
                table: "instances",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_instances_zone_id",
                table: "instances",
                column: "zone_id");

            migrationBuilder.CreateIndex(
                name: "ix_migrations_instance_id_status",
                table: "migrations",
                columns: new[] { "instance_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_migrations_source_host_id",
                table: "migrations",
                column: "source_host_id");

            migrationBuilder.CreateIndex(
                name: "ix_migrations_status_id",
                table: "migrations",
                columns: new[] { "status", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_migrations_target_host_id",
                table: "migrations",
                column: "target_host_id");

            migrationBuilder.CreateIndex(
                name: "ix_migrations_target_pool_id",
                table: "migrations",
                column: "target_pool_id");

            migrationBuilder.CreateIndex(
                name: "ux_migrations_instance_live",
                table: "migrations",
                column: "instance_id",
                unique: true,
                filter: "status IN ('queued', 'running')");

            migrationBuilder.CreateIndex(
                name: "ix_operations_client_token",
                table: "operations",
                column: "client_token",
                unique: true);

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

            migrationBuilder.CreateIndex(
                name: "ix_server_groups_tenant_id_id",
                table: "server_groups",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_sla_plans_name",
                table: "sla_plans",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_snapshots_instance_id_status",
                table: "snapshots",
                columns: new[] { "instance_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_snapshots_tenant_id_id",
                table: "snapshots",
                columns: new[] { "tenant_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_storage_pools_name",
                table: "storage_pools",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_storage_pools_zone_id",
                table: "storage_pools",
                column: "zone_id");

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
                name: "agent_tasks");

            migrationBuilder.DropTable(
                name: "api_keys");

            migrationBuilder.DropTable(
                name: "audit_events");

            migrationBuilder.DropTable(
                name: "idempotency_records");

            migrationBuilder.DropTable(
                name: "instance_actions");

            migrationBuilder.DropTable(
                name: "migrations");

            migrationBuilder.DropTable(
                name: "operations");

            migrationBuilder.DropTable(
                name: "reservation_slots");

            migrationBuilder.DropTable(
                name: "snapshots");

            migrationBuilder.DropTable(
                name: "instances");

            migrationBuilder.DropTable(
                name: "hosts");

            migrationBuilder.DropTable(
                name: "images");

            migrationBuilder.DropTable(
                name: "reservations");

            migrationBuilder.DropTable(
                name: "server_groups");

            migrationBuilder.DropTable(
                name: "storage_pools");

            migrationBuilder.DropTable(
                name: "flavors");

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
