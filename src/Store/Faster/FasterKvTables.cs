using FASTER.core;

namespace Outpost.Store.Faster;

/// <summary>How the job table and the blob table set up, checkpoint and recover their FasterKV: one way for both.</summary>
internal static class FasterKvTables
{
    /// <summary>
    /// The settings of a table named <paramref name="table"/>: its log in <c>table.log</c> on <paramref name="device"/>,
    /// 4 MiB pages, files of <see cref="FasterStoreOptions.LogSegmentSizeBits"/>, its checkpoints under <c>checkpoints/table</c>.
    /// </summary>
    public static FasterKVSettings<TKey, TValue> Settings<TKey, TValue>(FasterStoreOptions options, string table, IDevice device, int memorySizeBits, long indexBuckets) => new()
    {
        IndexSize = indexBuckets * 64,
        LogDevice = device,
        MemorySize = 1L << memorySizeBits,
        PageSize = 1L << PageSizeBits,
        SegmentSize = 1L << Math.Max(PageSizeBits, options.LogSegmentSizeBits),
        CheckpointDir = CheckpointDirectory(options.DataDirectory, table),
        RemoveOutdatedCheckpoints = true,
    };

    public const int PageSizeBits = 22;

    public static string CheckpointDirectory(string directory, string table) => Path.Combine(directory, "checkpoints", table);

    /// <summary>
    /// The table's log files, read and written past the page cache (O_DIRECT, FASTER's default). Reading them through
    /// the page cache beside the direct writes is a mix open(2) tells applications to avoid; a restart reads the job log
    /// once and needs no cache for it (docs/performance.md, third round).
    /// </summary>
    public static IDevice Device(string directory, string table) => Devices.CreateLogDevice(Path.Combine(directory, table + ".log"));

    /// <summary>
    /// A fold-over checkpoint of the log, with the hash index when <paramref name="withIndex"/>. It is not cancellable
    /// once started: FASTER 2.6.5 drops a checkpoint's state when its wait is cancelled but leaves the state machine
    /// mid-phase, and then refuses every later checkpoint, the shutdown one too (the next start replayed 967 142 log
    /// entries after a clean shutdown). A checkpoint takes seconds at most; the checkpointer stops after it.
    /// </summary>
    public static async ValueTask CheckpointAsync<TKey, TValue>(FasterKV<TKey, TValue> kv, bool withIndex, string table)
    {
        var (ok, _) = withIndex
            ? await kv.TakeFullCheckpointAsync(CheckpointType.FoldOver, CancellationToken.None).ConfigureAwait(false)
            : await kv.TakeHybridLogCheckpointAsync(CheckpointType.FoldOver, tryIncremental: false, CancellationToken.None).ConfigureAwait(false);
        if (!ok) throw new InvalidOperationException($"FASTER refused to start a checkpoint of the {table} table");
    }

    /// <summary>Doubles the table's hash index (see <see cref="IndexSizing"/>); returns once every bucket is split.</summary>
    public static void GrowIndex<TKey, TValue>(FasterKV<TKey, TValue> kv, string table)
    {
        if (!kv.GrowIndex()) throw new InvalidOperationException($"FASTER refused to grow the {table} table's index: another state machine (a checkpoint) is running");
    }

    /// <summary>
    /// Compacts the log up to its read-only address (records still mutable in memory stay): FASTER looks each record
    /// up and copies the ones still current to the tail, then moves the begin address; the files wholly before it
    /// are deleted by the next checkpoint. Returns the new begin address.
    /// </summary>
    public static long Compact<TKey, TValue, TInput, TOutput, TFunctions>(FasterKV<TKey, TValue> kv, ClientSession<TKey, TValue, TInput, TOutput, Empty, TFunctions> session)
        where TFunctions : IFunctions<TKey, TValue, TInput, TOutput, Empty>
    {
        var until = kv.Log.SafeReadOnlyAddress;
        return until <= kv.Log.BeginAddress ? kv.Log.BeginAddress : session.Compact(until, CompactionType.Lookup);
    }

    /// <summary>
    /// Restores the latest checkpoint of a table that has one: a failure is damage, never an empty table. No log pages
    /// are preloaded beyond those FASTER replays into the index: the restart's rebuild reads the whole log anyway, and
    /// preloading a full in-memory log (256 MiB of fresh pages) cost more than it saved (1 M jobs: 81 000 page faults
    /// and 344 MB resident against 46 000 and 195 MB; docs/performance.md, "Embedded store restart").
    /// </summary>
    public static void Recover<TKey, TValue>(FasterKV<TKey, TValue> kv, string directory, string table)
    {
        try
        {
            kv.Recover(numPagesToPreload: 0);
        }
        catch (Exception e) when (e is FasterException or IOException or InvalidDataException or FormatException or IndexOutOfRangeException or ArgumentException)
        {
            throw StoreDamagedException.Of(CheckpointDirectory(directory, table), $"could not be restored ({e.Message})", e);
        }
    }
}
