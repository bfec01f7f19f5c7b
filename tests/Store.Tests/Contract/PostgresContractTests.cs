using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Outpost.Store.Postgres;
using Outpost.Testing;

namespace Outpost.Store.Tests.Contract;

/// <summary>
/// A throw-away PostgreSQL cluster and one fresh database for the contract class; each test gets its own schema in
/// it (through the connection's search path), so tests see an empty store without paying for a database each.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime, IAsyncDisposable
{
    private readonly PostgresCluster _cluster = new();

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await _cluster.StartAsync();
        await using (var connection = new NpgsqlConnection(_cluster.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE contract", connection);
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = _cluster.ConnectionStringFor("contract");
    }

    /// <summary>A new, empty schema; the returned connection string makes it the store's search path.</summary>
    public async Task<string> FreshSchemaAsync()
    {
        var schema = "t_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE SCHEMA {schema}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await _cluster.DisposeAsync();
    }

    /// <summary>Idempotent: the cluster removes itself once.</summary>
    ValueTask IAsyncDisposable.DisposeAsync() => _cluster.DisposeAsync();
}

/// <summary>The contract on the PostgreSQL store, and what only a shared store has to show.</summary>
public sealed class PostgresContractTests(PostgresDatabase database) : StoreContract, IClassFixture<PostgresDatabase>
{
    protected override async Task<IOutpostStore> OpenAsync() =>
        await PostgresOutpostStore.OpenAsync(new PostgresStoreOptions { ConnectionString = await database.FreshSchemaAsync() }, NullLoggerFactory.Instance);

    [Fact]
    public async Task Nodes_starting_at_once_migrate_the_schema_once_and_all_open()
    {
        var connectionString = await database.FreshSchemaAsync();
        using var barrier = new Barrier(4);
        var opened = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(() =>
        {
            barrier.SignalAndWait();
            return PostgresOutpostStore.OpenAsync(new PostgresStoreOptions { ConnectionString = connectionString }, NullLoggerFactory.Instance)
                .AsTask().GetAwaiter().GetResult();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        var scanner = await opened[0].CreateScannerAsync("s", new byte[32], [], null, T0);
        foreach (var store in opened)
        {
            Assert.Equal(scanner.Id, store.GetScanner(scanner.Id)!.Id);
            await store.DisposeAsync();
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM outpost_migrations", connection);
        Assert.Equal((long)Migrations.Latest, await count.ExecuteScalarAsync());
    }
}
