using Npgsql;
using Outpost.Testing;

namespace Outpost.Appliance.Tests.ScaleOut;

/// <summary>One throw-away PostgreSQL cluster for the scale-out tests; each test takes a fresh database in it.</summary>
public sealed class SharedPostgres : IAsyncLifetime, IAsyncDisposable
{
    private int _databases;

    public PostgresCluster Cluster { get; } = new();

    public Task InitializeAsync() => Cluster.StartAsync();

    /// <summary>Creates an empty database; the daemons that open it create the schema.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = "scaleout_" + Interlocked.Increment(ref _databases).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var connection = new NpgsqlConnection(Cluster.ConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return Cluster.ConnectionStringFor(name);
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Cluster.DisposeAsync();
    }

    ValueTask IAsyncDisposable.DisposeAsync() => Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ScaleOutGroup : ICollectionFixture<SharedPostgres>
{
    public const string Name = "scale-out";
}
