using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MigrationResource : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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
                    operation_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    target_claimed = table.Column<bool>(type: "INTEGER", nullable: false),
                    cancel_requested = table.Column<bool>(type: "INTEGER", nullable: false),
                    force_complete_requested = table.Column<bool>(type: "INTEGER", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    stages = table.Column<string>(type: "TEXT", nullable: false),
                    rounds = table.Column<string>(type: "TEXT", nullable: false),
                    downtime_ms = table.Column<double>(type: "REAL", nullable: true),
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
                name: "ux_migrations_instance_live",
                table: "migrations",
                column: "instance_id",
                unique: true,
                filter: "status IN ('queued', 'running')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "migrations");
        }
    }
}
