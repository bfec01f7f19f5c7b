using Outpost.Store.Postgres;
using Outpost.Store.Records;

namespace Outpost.Appliance.Hosting;

/// <summary>The store backends <c>Outpost:Store:Kind</c> selects.</summary>
public static class StoreKinds
{
    /// <summary>The embedded FASTER store: one appliance, the default.</summary>
    public const string Faster = "faster";

    /// <summary>A PostgreSQL database shared by several ingest nodes (scale-out).</summary>
    public const string Postgres = "postgres";

    /// <summary>The configured kind, checked: an unknown kind is a configuration error, not a silent default.</summary>
    public static string Of(OutpostOptions options)
    {
        var kind = string.IsNullOrWhiteSpace(options.Store.Kind) ? Faster : options.Store.Kind.Trim();
        if (string.Equals(kind, Faster, StringComparison.OrdinalIgnoreCase)) return Faster;
        if (string.Equals(kind, Postgres, StringComparison.OrdinalIgnoreCase)) return Postgres;
        throw new InvalidDataException($"Outpost:Store:Kind is '{kind}'; it must be '{Faster}' or '{Postgres}'.");
    }
}

/// <summary>
/// The scale-out backend: the PostgreSQL store at <c>Outpost:Store:ConnectionString</c>, migrated at start, and the
/// records schema in the same database (migrated after the store's, whose old findings table it takes over).
/// </summary>
public static class PostgresStoreOpener
{
    public static async ValueTask<OpenedStores> OpenAsync(OutpostOptions options, ILoggerFactory loggerFactory, CancellationToken ct)
    {
        var connectionString = ConnectionString(options);
        var store = await PostgresOutpostStore.OpenAsync(new PostgresStoreOptions { ConnectionString = connectionString }, loggerFactory, ct);
        try
        {
            return new OpenedStores(store, await RecordsDatabase.OpenPostgresAsync(connectionString, loggerFactory, ct: ct));
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    public static string ConnectionString(OutpostOptions options) =>
        string.IsNullOrWhiteSpace(options.Store.ConnectionString)
            ? throw new InvalidDataException($"Outpost:Store:ConnectionString is required when Outpost:Store:Kind is '{StoreKinds.Postgres}'.")
            : options.Store.ConnectionString;
}
