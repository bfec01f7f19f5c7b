using Microsoft.Extensions.Logging;

namespace Outpost.Store.Faster;

// The tables' hash indexes follow the live jobs (docs/store-operations.md, "Sizing"; the why is on IndexSizing).
public sealed partial class FasterOutpostStore
{
    /// <summary>The tables' index sizes in buckets, as they are now.</summary>
    internal (long Jobs, long Blobs) IndexBuckets => (_jobs.IndexBuckets, _blobs.IndexBuckets);

    /// <summary>
    /// At open, after the checkpoints are restored: an index smaller than configured is grown to the configured size;
    /// a larger one stays as it is (an index never shrinks), said in the log so the operator knows the setting had no effect.
    /// </summary>
    private void GrowIndexesToConfigured()
    {
        GrowToConfigured(_jobs, _options.JobIndexBuckets, "job");
        GrowToConfigured(_blobs, _options.BlobIndexBuckets, "blob");
    }

    private void GrowToConfigured(IGrowableIndex table, long configured, string name)
    {
        var recorded = table.IndexBuckets;
        if (recorded > configured)
        {
            LogIndexLargerThanConfigured(_logger, name, recorded, configured);
        }
        else if (recorded < configured)
        {
            IndexSizing.GrowTo(table, configured);
            LogIndexGrownToConfigured(_logger, name, recorded, table.IndexBuckets);
        }
    }

    /// <summary>
    /// In the checkpointer's round, before its checkpoint: doubles an index whose table has more than
    /// <see cref="IndexSizing.JobGrowthLoad"/> (or <see cref="IndexSizing.BlobGrowthLoad"/>) live keys a bucket. Returns true when one grew, so the round's checkpoint
    /// writes the index.
    /// </summary>
    private bool GrowLoadedIndexes()
    {
        long jobs = 0, failed = 0;
        foreach (var scan in _catalog.Scans)
        {
            var counts = scan.Tally.Counts;
            jobs += counts.Total;
            failed += counts.Failed;
        }
        // A job is one record of the job table and two of the blob table (its spec and its address ranges), three
        // once it failed (its error text).
        return GrowForLoad(_jobs, jobs, IndexSizing.JobGrowthLoad, "job") | GrowForLoad(_blobs, 2 * jobs + failed, IndexSizing.BlobGrowthLoad, "blob");
    }

    private bool GrowForLoad(IGrowableIndex table, long liveKeys, int load, string name)
    {
        var before = table.IndexBuckets;
        var needed = IndexSizing.NeededFor(liveKeys, before, load);
        if (needed == before) return false;
        IndexSizing.GrowTo(table, needed);
        LogIndexGrown(_logger, name, before, needed, liveKeys);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Table} index grown from {Before} to {After} buckets for {LiveRecords} live records")]
    private static partial void LogIndexGrown(ILogger logger, string table, long before, long after, long liveRecords);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Table} index grown from {Before} to the configured {After} buckets")]
    private static partial void LogIndexGrownToConfigured(ILogger logger, string table, long before, long after);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Table} index has {Recorded} buckets, more than the configured {Configured}: kept (an index never shrinks)")]
    private static partial void LogIndexLargerThanConfigured(ILogger logger, string table, long recorded, long configured);
}
