using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class MigrationResource : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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
                    operation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    target_claimed = table.Column<bool>(type: "boolean", nullable: false),
                    cancel_requested = table.Column<bool>(type: "boolean", nullable: false),
                    force_complete_requested = table.Column<bool>(type: "boolean", nullable: false),
                    status = table.Column<string>(type: "character varying(24)", maxLength: 24, nullable: false),
                    stages = table.Column<string>(type: "text", nullable: false),
                    rounds = table.Column<string>(type: "text", nullable: false),
                    downtime_ms = table.Column<double>(type: "double precision", nullable: true),
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
                name: "ux_migrations_instance_live",
                schema: "iaas",
                table: "migrations",
                column: "instance_id",
                unique: true,
                filter: "status IN ('queued', 'running')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "migrations",
                schema: "iaas");
        }
    }
}
