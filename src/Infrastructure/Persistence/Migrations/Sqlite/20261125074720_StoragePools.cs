using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class StoragePools : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "source_pool_id",
                table: "migrations",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "target_pool_id",
                table: "migrations",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "pooled_disk_gib",
                table: "instances",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<Guid>(
                name: "storage_pool_id",
                table: "instances",
                type: "TEXT",
                nullable: true);

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

            migrationBuilder.CreateIndex(
                name: "ix_migrations_target_pool_id",
                table: "migrations",
                column: "target_pool_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_storage_pool_id",
                table: "instances",
                column: "storage_pool_id");

            migrationBuilder.CreateIndex(
                name: "ix_storage_pools_name",
                table: "storage_pools",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_storage_pools_zone_id",
                table: "storage_pools",
                column: "zone_id");

            migrationBuilder.AddForeignKey(
                name: "fk_instances_storage_pools_storage_pool_id",
                table: "instances",
                column: "storage_pool_id",
                principalTable: "storage_pools",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_instances_storage_pools_storage_pool_id",
                table: "instances");

            migrationBuilder.DropTable(
                name: "storage_pools");

            migrationBuilder.DropIndex(
                name: "ix_migrations_target_pool_id",
                table: "migrations");

            migrationBuilder.DropIndex(
                name: "ix_instances_storage_pool_id",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "source_pool_id",
                table: "migrations");

            migrationBuilder.DropColumn(
                name: "target_pool_id",
                table: "migrations");

            migrationBuilder.DropColumn(
                name: "pooled_disk_gib",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "storage_pool_id",
                table: "instances");
        }
    }
}
