namespace Outpost.Store.Faster;

/// <summary>What tests watch instead of sleeping: the background checkpoints, as they are written.</summary>
public sealed partial class FasterOutpostStore
{
    private TaskCompletionSource _checkpointed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the next checkpoint (after this property was read) is on disk.</summary>
    internal Task NextCheckpoint => Volatile.Read(ref _checkpointed).Task;

    private void CheckpointWritten() =>
        Interlocked.Exchange(ref _checkpointed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).SetResult();
}
