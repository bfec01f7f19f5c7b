using Microsoft.Extensions.Logging;

namespace Outpost.Store.Faster;

/// <summary>
/// Takes checkpoints in the background — on a timer, or sooner once enough log has accumulated — so recovery
/// replays a bounded amount of log. Every fourth checkpoint also writes FASTER's hash index.
/// </summary>
internal sealed partial class Checkpointer(FasterOutpostStore store, FasterStoreOptions options, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private Task loop = Task.CompletedTask;

    public void Start() => loop = Task.Run(() => RunAsync(stopping.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        var count = 0;
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
                await store.CheckpointAsync(withIndex: count++ % 4 == 0, ct).ConfigureAwait(false);
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
        await stopping.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "checkpoint failed; the write-ahead log keeps every change until the next one succeeds")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception error);
}
