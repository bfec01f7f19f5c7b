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

        // Decided before the job store creates its files; it only says whether a missing records database there is an
        // upgrade worth logging. Whether it is damage is RecordsDatabase.OpenEmbeddedAsync's rule (its marker file).
        var fresh = !Directory.Exists(options.StoreDirectory) || !Directory.EnumerateFileSystemEntries(options.StoreDirectory).Any();
        var records = await RecordsDatabase.OpenEmbeddedAsync(options.DataDirectory, fresh, loggerFactory, ct: ct);
        try
        {
            return new OpenedStores(await FasterOutpostStore.OpenAsync(Options(options), records, loggerFactory, ct), records);
        }
        catch
        {
            await records.DisposeAsync();
            throw;
        }
    }

    /// <summary>The embedded store's options: <c>Outpost:Store:…</c> over the store's defaults (docs/store-operations.md, "Sizing").</summary>
    public static FasterStoreOptions Options(OutpostOptions options)
    {
        var sizing = options.Store;
        var defaults = new FasterStoreOptions { DataDirectory = options.StoreDirectory };
        return defaults with
        {
            JobMemorySizeBits = sizing.JobMemorySizeBits ?? defaults.JobMemorySizeBits,
            JobIndexBuckets = sizing.JobIndexBuckets ?? defaults.JobIndexBuckets,
            BlobMemorySizeBits = sizing.BlobMemorySizeBits ?? defaults.BlobMemorySizeBits,
            BlobIndexBuckets = sizing.BlobIndexBuckets ?? defaults.BlobIndexBuckets,
            MinFreeBytes = sizing.MinFreeBytes ?? defaults.MinFreeBytes,
            CompactionMinBytes = sizing.CompactionMinBytes ?? defaults.CompactionMinBytes,
            HeartbeatPersistInterval = sizing.HeartbeatPersistInterval ?? defaults.HeartbeatPersistInterval,
        };
    }
}
