namespace Outpost.Store.Faster;

/// <summary>
/// How big the two tables' hash indexes are (docs/store-operations.md, "Sizing").
///
/// A FASTER index is an array of 64-byte buckets, each seven entries (one per key, as far as a 14-bit tag tells keys
/// apart) and a link to an overflow bucket of seven more. It lives wholly in memory, so its size is the store's
/// largest fixed cost: sized for ten million jobs up front it made an idle appliance hold 170 MB of empty buckets.
/// Instead a new store starts small (<see cref="FasterStoreOptions.JobIndexBuckets"/>) and the checkpointer doubles an
/// index once its table's live keys pass <see cref="JobGrowthLoad"/> (<see cref="BlobGrowthLoad"/>) per bucket.
///
/// The size is recorded by FASTER itself: an index checkpoint carries its bucket count, and recovery allocates the
/// index at that count whatever the table was opened with (FASTER 2.6.5, IndexRecovery.cs). A store therefore opens
/// with the size of the index checkpoint it restores, and a changed configuration never makes it unopenable; a
/// configured size above it is grown to at open, one below it is ignored (an index never shrinks). One exception,
/// harmless: FASTER skips an index checkpoint taken while its log was still empty (Recovery.cs, RecoverToInitialPage)
/// and rebuilds the index from the whole log into the index as opened, at the configured size.
///
/// A doubling splits each bucket in two by rehashing the keys of its entries, which FASTER can do only for records in
/// memory: an entry whose record is on disk goes into both halves (SplitIndex.cs), and the stale copy is reclaimed once
/// compaction moves the log's begin address past it. So a table mostly on disk gains little from a doubling until its
/// records are rewritten or compacted; sizing the index for the expected jobs up front avoids that (see the docs).
///
/// Growing (FasterKV.GrowIndex) is a state machine of its own that cannot overlap a checkpoint's, so it runs in the
/// checkpointer's round, which then checkpoints the index. A crash after the growth and before that checkpoint
/// recovers the previous index checkpoint, at its previous size, and replays the log into it: size and contents
/// always come from the same checkpoint, and the next round grows again.
/// </summary>
internal static class IndexSizing
{
    /// <summary>
    /// Live keys per bucket past which the job table's index doubles. Keys fall into buckets about as a Poisson
    /// distribution of this mean: at 8 a little over half the buckets have spilled into one overflow bucket, and right
    /// after the doubling the load is 4, where one bucket in twenty has. In between the index costs 12.5 to 17 bytes a
    /// key. A threshold of 4 would spill less (at most one bucket in twenty) but cost 17 to 32 bytes a key.
    /// </summary>
    public const int JobGrowthLoad = 8;

    /// <summary>
    /// The blob table's threshold: twice the job table's. It holds two keys a job (spec and address ranges) and is
    /// read once a claim, not changed on every lifecycle step, so a longer overflow chain costs little there, while
    /// memory counts: at 16 a key costs about 10 bytes with its overflow buckets. At ten million jobs the blob index
    /// then stays at 2^21 buckets instead of doubling to 2^22 (256 MiB): <c>outpost-bench store recovery
    /// --recovery 10000000</c> held 1 340 MB with one threshold of 8 for both tables, against the 1 GB target.
    /// </summary>
    public const int BlobGrowthLoad = 2 * JobGrowthLoad;

    /// <summary>FASTER allocates an index as one array, whose length overflows beyond 2^30 buckets (64 GiB).</summary>
    public const long MaxBuckets = 1L << 30;

    /// <summary>The bucket count an index of <paramref name="buckets"/> doubles to so <paramref name="liveKeys"/> are at most <paramref name="load"/> a bucket.</summary>
    public static long NeededFor(long liveKeys, long buckets, int load)
    {
        while (liveKeys > load * buckets && buckets < MaxBuckets) buckets *= 2;
        return buckets;
    }

    /// <summary>Doubles the table's index until it has at least <paramref name="buckets"/>.</summary>
    public static void GrowTo(IGrowableIndex table, long buckets)
    {
        while (table.IndexBuckets < Math.Min(buckets, MaxBuckets)) table.GrowIndex();
    }
}

/// <summary>A table whose hash index can be measured and doubled.</summary>
internal interface IGrowableIndex
{
    /// <summary>The index's current size in 64-byte buckets.</summary>
    long IndexBuckets { get; }

    /// <summary>Doubles the index while the table keeps serving; never while a checkpoint runs (see <see cref="IndexSizing"/>).</summary>
    void GrowIndex();
}
