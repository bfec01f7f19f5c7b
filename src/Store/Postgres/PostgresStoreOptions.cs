namespace Outpost.Store.Postgres;

/// <summary>Where the shared store lives: one PostgreSQL database that every ingest node connects to.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>An Npgsql connection string (<c>Host=…;Database=outpost;Username=…;Password=…</c>).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>How often a failed transaction is retried when PostgreSQL aborted it for a deadlock or a serialization failure.</summary>
    public int ConflictRetries { get; init; } = 5;
}
