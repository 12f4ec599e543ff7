using System.Net.Sockets;
using Npgsql;
using Testcontainers.PostgreSql;

namespace IaasApi.Api.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server for the tests, in order of preference: the one named by <c>IAAS_TEST_POSTGRES</c> (the
/// local throwaway cluster scripts/test.sh starts), or a Testcontainers container when a Docker engine is reachable.
/// Each test run gets its own fresh database on that server.
/// </summary>
internal sealed class TestPostgres : IAsyncDisposable
{
    public const string EnvironmentVariable = "IAAS_TEST_POSTGRES";

    private readonly PostgreSqlContainer? _container;
    private readonly string _serverConnectionString;
    private readonly string _database;

    private TestPostgres(string server, PostgreSqlContainer? container)
    {
        _serverConnectionString = server;
        _container = container;
        _database = $"iaas_test_{DateTime.UtcNow:yyyyMMddHHmmss}_{Random.Shared.Next(100000):D5}";
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = _database, MaxPoolSize = 100 }.ConnectionString;
    }

    public string ConnectionString { get; }

    public static async Task<TestPostgres> StartAsync()
    {
        TestPostgres pg;
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } server)
        {
            pg = new TestPostgres(server, null);
        }
        else if (DockerEngineReachable())
        {
            var container = new PostgreSqlBuilder("postgres:17-alpine").Build();
            await container.StartAsync();
            pg = new TestPostgres(container.GetConnectionString(), container);
        }
        else
        {
            throw new InvalidOperationException(
                $"No PostgreSQL for the integration tests: run ./scripts/test.sh (it starts a throwaway local cluster), " +
                $"set {EnvironmentVariable} to a server connection string, or make a Docker engine reachable.");
        }
        await pg.ExecuteOnServerAsync($"CREATE DATABASE \"{pg._database}\"");
        return pg;
    }

    public async ValueTask DisposeAsync()
    {
        if (_container is not null)
        {
            await _container.DisposeAsync();
            return;
        }
        NpgsqlConnection.ClearAllPools();
        await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)");
    }

    private async Task ExecuteOnServerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The docker CLI is installed on machines without an engine: probe the engine's socket, not the binary.</summary>
    private static bool DockerEngineReachable()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrEmpty(host) && !host.StartsWith("unix://", StringComparison.Ordinal)) return true;
        var path = string.IsNullOrEmpty(host) ? "/var/run/docker.sock" : host["unix://".Length..];
        if (!File.Exists(path)) return false;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
