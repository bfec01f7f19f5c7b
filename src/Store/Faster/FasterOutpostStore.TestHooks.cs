namespace Outpost.Store.Faster;

/// <summary>What tests watch instead of sleeping (the background checkpoints, as they are written), and what they write as an earlier version would have.</summary>
public sealed partial class FasterOutpostStore
{
    private TaskCompletionSource _checkpointed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the next checkpoint (after this property was read) is on disk.</summary>
    internal Task NextCheckpoint => Volatile.Read(ref _checkpointed).Task;

    private void CheckpointWritten() =>
        Interlocked.Exchange(ref _checkpointed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).SetResult();

    /// <summary>Logs a catalog change given as its JSON, durably: how tests write what an earlier version logged.</summary>
    internal ValueTask AppendCatalogJsonAsync(byte[] json) => WaitDurableAsync(AppendCatalogJson(json), CancellationToken.None);

    private long AppendCatalogJson(byte[] json)
    {
        var entry = WalEntry.Begin();
        entry.AddCatalog(json);
        return _wal.Append(entry.Bytes);
    }
}
