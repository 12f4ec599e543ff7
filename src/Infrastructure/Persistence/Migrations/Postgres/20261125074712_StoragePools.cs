using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class StoragePools : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "source_pool_id",
                schema: "iaas",
                table: "migrations",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "target_pool_id",
                schema: "iaas",
                table: "migrations",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "pooled_disk_gib",
                schema: "iaas",
                table: "instances",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<Guid>(
                name: "storage_pool_id",
                schema: "iaas",
                table: "instances",
                type: "uuid",
                nullable: true);

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

            migrationBuilder.CreateIndex(
                name: "ix_migrations_target_pool_id",
                schema: "iaas",
                table: "migrations",
                column: "target_pool_id");

            migrationBuilder.CreateIndex(
                name: "ix_instances_storage_pool_id",
                schema: "iaas",
                table: "instances",
                column: "storage_pool_id");

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

            migrationBuilder.AddForeignKey(
                name: "fk_instances_storage_pools_storage_pool_id",
                schema: "iaas",
                table: "instances",
                column: "storage_pool_id",
                principalSchema: "iaas",
                principalTable: "storage_pools",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_instances_storage_pools_storage_pool_id",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropTable(
                name: "storage_pools",
                schema: "iaas");

            migrationBuilder.DropIndex(
                name: "ix_migrations_target_pool_id",
                schema: "iaas",
                table: "migrations");

            migrationBuilder.DropIndex(
                name: "ix_instances_storage_pool_id",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "source_pool_id",
                schema: "iaas",
                table: "migrations");

            migrationBuilder.DropColumn(
                name: "target_pool_id",
                schema: "iaas",
                table: "migrations");

            migrationBuilder.DropColumn(
                name: "pooled_disk_gib",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "storage_pool_id",
                schema: "iaas",
                table: "instances");
        }
    }
}
