using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class InstanceLastHost : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "last_host_id",
                table: "instances",
                type: "TEXT",
                nullable: true);

            // An instance whose capacity was released is on no host any more; the host it left is its last host.
            migrationBuilder.Sql("UPDATE instances SET last_host_id = host_id, host_id = NULL WHERE resources_claimed = 0 AND host_id IS NOT NULL;");

            migrationBuilder.DropColumn(
                name: "resources_claimed",
                table: "instances");

            migrationBuilder.CreateIndex(
                name: "ix_instances_last_host_id",
                table: "instances",
                column: "last_host_id");

            migrationBuilder.AddForeignKey(
                name: "fk_instances_hosts_last_host_id",
                table: "instances",
                column: "last_host_id",
                principalTable: "hosts",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "resources_claimed",
                table: "instances",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);
            migrationBuilder.Sql("UPDATE instances SET resources_claimed = 1 WHERE host_id IS NOT NULL;");
            migrationBuilder.Sql("UPDATE instances SET host_id = last_host_id WHERE host_id IS NULL AND last_host_id IS NOT NULL;");

            migrationBuilder.DropForeignKey(
                name: "fk_instances_hosts_last_host_id",
                table: "instances");

            migrationBuilder.DropIndex(
                name: "ix_instances_last_host_id",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "last_host_id",
                table: "instances");
        }
    }
}
