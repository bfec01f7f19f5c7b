using Outpost.Store;
using Outpost.Store.Faster;

namespace Outpost.Appliance.Hosting;

/// <summary>The default backend: the embedded FASTER store under <c>&lt;data-dir&gt;/store</c>.</summary>
public static class FasterStoreOpener
{
    public static async ValueTask<IOutpostStore> OpenAsync(OutpostOptions options, ILoggerFactory loggerFactory, CancellationToken ct)
    {
        var sizing = options.Store;
        var defaults = new FasterStoreOptions { DataDirectory = options.StoreDirectory };
        return await FasterOutpostStore.OpenAsync(defaults with
        {
            JobMemorySizeBits = sizing.JobMemorySizeBits ?? defaults.JobMemorySizeBits,
            JobIndexBuckets = sizing.JobIndexBuckets ?? defaults.JobIndexBuckets,
            BlobMemorySizeBits = sizing.BlobMemorySizeBits ?? defaults.BlobMemorySizeBits,
            BlobIndexBuckets = sizing.BlobIndexBuckets ?? defaults.BlobIndexBuckets,
        }, loggerFactory, ct);
    }
}
