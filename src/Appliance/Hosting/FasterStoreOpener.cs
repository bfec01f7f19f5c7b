using Outpost.Store.Faster;
using Outpost.Store.Records;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// The default backend: the embedded FASTER store under <c>&lt;data-dir&gt;/store</c> with its records database at
/// <c>&lt;data-dir&gt;/records.db</c>. It is also the daemon's opener (Program.cs passes it), so it hands over to
/// <see cref="PostgresStoreOpener"/> when <c>Outpost:Store:Kind</c> says so.
/// </summary>
public static class FasterStoreOpener
{
    public static async ValueTask<OpenedStores> OpenAsync(OutpostOptions options, ILoggerFactory loggerFactory, CancellationToken ct)
    {
        if (StoreKinds.Of(options) == StoreKinds.Postgres)
        {
            return await PostgresStoreOpener.OpenAsync(options, loggerFactory, ct);
        }

        // Decided before the job store creates its files: only a data directory without a store may get a new, empty
        // records database; anywhere else a missing one is damage (RecordsDatabase.OpenEmbeddedAsync).
        var fresh = !Directory.Exists(options.StoreDirectory) || !Directory.EnumerateFileSystemEntries(options.StoreDirectory).Any();
        var records = await RecordsDatabase.OpenEmbeddedAsync(options.DataDirectory, fresh, loggerFactory, ct: ct);
        try
        {
            var sizing = options.Store;
            var defaults = new FasterStoreOptions { DataDirectory = options.StoreDirectory };
            var store = await FasterOutpostStore.OpenAsync(defaults with
            {
                JobMemorySizeBits = sizing.JobMemorySizeBits ?? defaults.JobMemorySizeBits,
                JobIndexBuckets = sizing.JobIndexBuckets ?? defaults.JobIndexBuckets,
                BlobMemorySizeBits = sizing.BlobMemorySizeBits ?? defaults.BlobMemorySizeBits,
                BlobIndexBuckets = sizing.BlobIndexBuckets ?? defaults.BlobIndexBuckets,
            }, loggerFactory, ct);
            return new OpenedStores(store, records);
        }
        catch
        {
            await records.DisposeAsync();
            throw;
        }
    }
}
