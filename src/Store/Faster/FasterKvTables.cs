using FASTER.core;

namespace Outpost.Store.Faster;

/// <summary>How the job table and the blob table set up, checkpoint and recover their FasterKV: one way for both.</summary>
internal static class FasterKvTables
{
    /// <summary>
    /// The settings of a table named <paramref name="table"/>: its log in <c>table.log</c> on <paramref name="device"/>,
    /// 4 MiB pages, 1 GiB segments, its checkpoints under <c>checkpoints/table</c>.
    /// </summary>
    public static FasterKVSettings<TKey, TValue> Settings<TKey, TValue>(string directory, string table, IDevice device, int memorySizeBits, long indexBuckets) => new()
    {
        IndexSize = indexBuckets * 64,
        LogDevice = device,
        MemorySize = 1L << memorySizeBits,
        PageSize = 1L << 22,
        SegmentSize = 1L << 30,
        CheckpointDir = Path.Combine(directory, "checkpoints", table),
        RemoveOutdatedCheckpoints = true,
    };

    public static IDevice Device(string directory, string table) => Devices.CreateLogDevice(Path.Combine(directory, table + ".log"));

    /// <summary>A fold-over checkpoint of the log, with the hash index when <paramref name="withIndex"/>.</summary>
    public static async ValueTask CheckpointAsync<TKey, TValue>(FasterKV<TKey, TValue> kv, bool withIndex, string table, CancellationToken ct)
    {
        var (ok, _) = withIndex
            ? await kv.TakeFullCheckpointAsync(CheckpointType.FoldOver, ct).ConfigureAwait(false)
            : await kv.TakeHybridLogCheckpointAsync(CheckpointType.FoldOver, tryIncremental: false, ct).ConfigureAwait(false);
        if (!ok) throw new InvalidOperationException($"FASTER refused to start a checkpoint of the {table} table");
    }

    /// <summary>Restores the latest checkpoint; false when there is none yet (a new store).</summary>
    public static bool TryRecover<TKey, TValue>(FasterKV<TKey, TValue> kv)
    {
        try
        {
            kv.Recover();
            return true;
        }
        catch (FasterException)
        {
            return false;
        }
    }
}
