using FASTER.core;

namespace Outpost.Store.Faster;

/// <summary>Checkpoint and recovery of one FasterKV, the same for the job table and the blob table.</summary>
internal static class FasterKvCheckpoints
{
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
