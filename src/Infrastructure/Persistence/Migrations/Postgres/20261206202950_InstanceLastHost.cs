using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class InstanceLastHost : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "last_host_id",
                schema: "iaas",
                table: "instances",
                type: "uuid",
                nullable: true);

            // An instance whose capacity was released is on no host any more; the host it left is its last host.
            migrationBuilder.Sql("UPDATE iaas.instances SET last_host_id = host_id, host_id = NULL WHERE resources_claimed = false AND host_id IS NOT NULL;");

            migrationBuilder.DropColumn(
                name: "resources_claimed",
                schema: "iaas",
                table: "instances");

            migrationBuilder.CreateIndex(
                name: "ix_instances_last_host_id",
                schema: "iaas",
                table: "instances",
                column: "last_host_id");

            migrationBuilder.AddForeignKey(
                name: "fk_instances_hosts_last_host_id",
                schema: "iaas",
                table: "instances",
                column: "last_host_id",
                principalSchema: "iaas",
                principalTable: "hosts",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "resources_claimed",
                schema: "iaas",
                table: "instances",
                type: "boolean",
                nullable: false,
                defaultValue: false);
            migrationBuilder.Sql("UPDATE iaas.instances SET resources_claimed = true WHERE host_id IS NOT NULL;");
            migrationBuilder.Sql("UPDATE iaas.instances SET host_id = last_host_id WHERE host_id IS NULL AND last_host_id IS NOT NULL;");

            migrationBuilder.DropForeignKey(
                name: "fk_instances_hosts_last_host_id",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropIndex(
                name: "ix_instances_last_host_id",
                schema: "iaas",
                table: "instances");

            migrationBuilder.DropColumn(
                name: "last_host_id",
                schema: "iaas",
                table: "instances");
        }
    }
}
