using Microsoft.Extensions.Logging;

namespace Outpost.Store.Faster;

/// <summary>
/// Takes checkpoints in the background — on a timer, or sooner once enough log has accumulated — so recovery
/// replays a bounded amount of log, and compacts the tables' logs so the disk reaches a plateau (see
/// <see cref="FasterOutpostStore.MaintainAsync"/>). Only when something durable changed: an idle store, whose
/// heartbeats stay in memory, writes nothing (docs/store-operations.md, "Quiet when idle").
/// </summary>
internal sealed partial class Checkpointer(FasterOutpostStore store, FasterStoreOptions options, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Start() => _loop = Task.Run(() => RunAsync(_stopping.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        var clock = options.Clock;
        var lastStart = store.WalTail;
        var lastAt = clock.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), clock, ct).ConfigureAwait(false);
                var pending = store.WalBytesSinceCheckpoint(lastStart);
                if (pending == 0) continue;
                if (clock.GetUtcNow() - lastAt < options.CheckpointInterval && pending < options.CheckpointWalBytes) continue;
                var start = store.WalTail;
                if (!await store.MaintainAsync(ct).ConfigureAwait(false)) continue;
                (lastStart, lastAt) = (start, clock.GetUtcNow());
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
