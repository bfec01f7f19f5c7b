using FASTER.core;
using Microsoft.Extensions.Logging;

namespace Outpost.Store.Faster;

/// <summary>
/// The store's write-ahead log, on a FasterLog, with group commit.
///
/// FasterKV on its own is durable only up to its last checkpoint. Every change is therefore also appended here
/// as a redo entry, and an operation is acknowledged only once the log is committed past its entry. Committing
/// means flushing to a device opened write-through (O_DSYNC), so "committed" is "on disk".
///
/// Group commit: one committer task runs a single commit at a time; everything appended while a commit is in
/// flight goes into the next one. So under load one flush serves hundreds of operations, and at low load an
/// operation waits for about one flush. FasterLog commits a prefix of the log: once an address is committed,
/// every entry before it is too, which is what lets an acknowledgment depend on earlier, unacknowledged changes.
/// </summary>
internal sealed partial class WriteAheadLog : IAsyncDisposable
{
    private readonly IDevice _device;
    private readonly FasterLog _log;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _committer;
    private readonly ILogger _logger;
    private int _committerIdle;
    /// <summary>Completed (and replaced) after every commit: what acknowledgments wait on.</summary>
    private TaskCompletionSource _commitGeneration = NewGeneration();

    public WriteAheadLog(string directory, ILogger logger)
    {
        this._logger = logger;
        Directory.CreateDirectory(directory);
        _device = Devices.CreateLogDevice(Path.Combine(directory, "wal.log"));
        _log = new FasterLog(new FasterLogSettings
        {
            LogDevice = _device,
            LogCommitDir = directory,
            PageSizeBits = 22,
            MemorySizeBits = 26,
            SegmentSizeBits = 30,
            // Commit metadata travels in the log itself: one device write per group commit instead of two.
            FastCommitMode = true,
            LogChecksum = LogChecksumType.PerEntry,
            AutoRefreshSafeTailAddress = true,
        }, logger);
        _committer = Task.Run(CommitLoopAsync);
    }

    /// <summary>Largest entry the log accepts (a page); larger batches are split by the caller.</summary>
    public const int MaxEntryBytes = 1 << 20;

    public long TailAddress => _log.TailAddress;

    public long BeginAddress => _log.BeginAddress;

    public long CommittedUntilAddress => _log.CommittedUntilAddress;

    /// <summary>Appends an entry and returns the address just past it: the address to wait for.</summary>
    public long Append(ReadOnlySpan<byte> entry)
    {
        var address = _log.Enqueue(entry);
        if (Volatile.Read(ref _committerIdle) == 1 && Interlocked.Exchange(ref _committerIdle, 0) == 1)
            _wake.Release();
        return address + 1;
    }

    /// <summary>Completes once everything before <paramref name="untilAddress"/> is on disk.</summary>
    public ValueTask WaitCommittedAsync(long untilAddress, CancellationToken ct) =>
        _log.CommittedUntilAddress >= untilAddress ? ValueTask.CompletedTask : WaitForCommitsAsync(untilAddress, ct);

    private async ValueTask WaitForCommitsAsync(long untilAddress, CancellationToken ct)
    {
        while (true)
        {
            // Take the generation before checking, so a commit finishing in between still wakes us.
            var generation = Volatile.Read(ref _commitGeneration);
            if (_log.CommittedUntilAddress >= untilAddress) return;
            await (ct.CanBeCanceled ? generation.Task.WaitAsync(ct) : generation.Task).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewGeneration() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void CompleteGeneration() => Interlocked.Exchange(ref _commitGeneration, NewGeneration()).SetResult();

    public FasterLogScanIterator Scan(long from) => _log.Scan(from, long.MaxValue, scanUncommitted: false);

    /// <summary>Drops entries before <paramref name="address"/> (already covered by a checkpoint).</summary>
    public void TruncateUntil(long address) => _log.TruncateUntil(address);

    private async Task CommitLoopAsync()
    {
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (_log.TailAddress <= _log.CommittedUntilAddress)
                {
                    Volatile.Write(ref _committerIdle, 1);
                    // Re-check after publishing idleness, so an append that raced with us is not left waiting.
                    if (_log.TailAddress <= _log.CommittedUntilAddress)
                        await _wake.WaitAsync(ct).ConfigureAwait(false);
                    else if (Interlocked.Exchange(ref _committerIdle, 0) == 0)
                        await _wake.WaitAsync(ct).ConfigureAwait(false); // an appender already woke us: consume it
                    continue;
                }
                await _log.CommitAsync(ct).ConfigureAwait(false);
                CompleteGeneration();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A failing disk must not spin the committer; waiters stay blocked rather than being acknowledged.
                LogCommitFailed(_logger, e);
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Commit whatever is pending so a clean shutdown loses nothing, then stop the committer.
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _committer.ConfigureAwait(false);
        if (_log.TailAddress > _log.CommittedUntilAddress)
            await _log.CommitAsync().ConfigureAwait(false);
        CompleteGeneration();
        _log.Dispose();
        _device.Dispose();
        _wake.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "write-ahead log commit failed; acknowledgments wait until it succeeds")]
    private static partial void LogCommitFailed(ILogger logger, Exception error);
}
