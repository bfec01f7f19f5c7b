using Microsoft.Extensions.Logging;

namespace Outpost.Store.Faster;

/// <summary>
/// Takes checkpoints in the background — on a timer, or sooner once enough log has accumulated — so recovery
/// replays a bounded amount of log. The hash index is checkpointed too (it is large, so not every time) every
/// fourth checkpoint or once many jobs were created since its last checkpoint: recovery otherwise re-inserts
/// every record written since into the index.
/// </summary>
internal sealed partial class Checkpointer(FasterOutpostStore store, FasterStoreOptions options, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Start() => _loop = Task.Run(() => RunAsync(_stopping.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        var count = 0;
        var indexedUpTo = 0L;
        var lastStart = store.WalTail;
        var lastAt = DateTime.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(false);
                var due = DateTime.UtcNow - lastAt >= options.CheckpointInterval
                    || store.WalBytesSinceCheckpoint(lastStart) >= options.CheckpointWalBytes;
                if (!due || store.WalBytesSinceCheckpoint(lastStart) == 0) continue;
                var start = store.WalTail;
                var jobs = store.JobIdHighWater;
                var withIndex = count++ % 4 == 0 || jobs - indexedUpTo >= Math.Max(250_000, indexedUpTo / 4);
                await store.CheckpointAsync(withIndex, ct).ConfigureAwait(false);
                if (withIndex) indexedUpTo = jobs;
                (lastStart, lastAt) = (start, DateTime.UtcNow);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                LogCheckpointFailed(logger, e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "checkpoint failed; the write-ahead log keeps every change until the next one succeeds")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception error);
}
