using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace IaasApi.Infrastructure.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class OperationClientToken : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "client_token",
                schema: "iaas",
                table: "operations",
                type: "character varying(336)",
                maxLength: 336,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "request_hash",
                schema: "iaas",
                table: "operations",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_operations_client_token",
                schema: "iaas",
                table: "operations",
                column: "client_token",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_operations_client_token",
                schema: "iaas",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "client_token",
                schema: "iaas",
                table: "operations");

            migrationBuilder.DropColumn(
                name: "request_hash",
                schema: "iaas",
                table: "operations");
        }
    }
}
