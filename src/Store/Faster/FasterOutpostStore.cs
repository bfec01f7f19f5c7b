using System.Text.Json;
using Microsoft.Extensions.Logging;
using Outpost.Store.Lifecycle;
using Outpost.Store.Model;

namespace Outpost.Store.Faster;

/// <summary>
/// The embedded store: FASTER for jobs, an in-memory catalog for the rest, one write-ahead log for durability.
///
/// Layout of the data directory:
/// <list type="bullet">
/// <item><c>wal/</c> — the write-ahead log (<see cref="WriteAheadLog"/>): every change, as redo entries.</item>
/// <item><c>jobs.log</c>, <c>blobs.log</c>, <c>checkpoints/</c> — the two FasterKV logs and their checkpoints.</item>
/// <item><c>catalog-N.json</c>, <c>manifest.json</c> — the catalog written at the checkpoint that starts the
/// log at address N; the manifest names the newest complete one.</item>
/// </list>
/// Recovery restores FASTER's latest checkpoints and the manifest's catalog, then replays the log from the
/// manifest's address. Every entry is a redo image applied in log order, so replaying entries that a checkpoint
/// already holds is harmless, and FASTER checkpoints newer than the manifest are fine too. The log is truncated
/// only after the manifest that no longer needs it is on disk.
/// </summary>
public sealed partial class FasterOutpostStore : IOutpostStore, IStoreHealth
{
    private readonly FasterStoreOptions _options;
    private readonly ILogger _logger;
    private readonly FileStream _lock;
    private readonly bool _isNew;
    private readonly WriteAheadLog _wal;
    private readonly Catalog _catalog = new();
    private readonly JobTable _jobs;
    private readonly BlobTable _blobs;
    private readonly ScannerQueues _queues = new();
    private readonly DiskGuard _diskGuard;
    private readonly Checkpointer _checkpointer;
    private long _lowestJobId = 1;
    /// <summary>When each scanner's heartbeat was last logged (guarded by the catalog lock); see RecordHeartbeatAsync.</summary>
    private readonly Dictionary<long, DateTimeOffset> _heartbeatsLogged = [];
    /// <summary>The tables' log tails at their last index checkpoint (-1: none since opening).</summary>
    private long _indexedJobTail = -1;
    private long _indexedBlobTail = -1;
    /// <summary>The tables' log sizes right after their last compaction: a log is compacted again once it has doubled.</summary>
    private long _compactedJobBytes;
    private long _compactedBlobBytes;
    /// <summary>Held by a checkpointer round and by a backup, so a backup's files are not compacted or truncated under it.</summary>
    private readonly SemaphoreSlim _maintenance = new(1, 1);
    /// <summary>When the store was first seen unable to write, for its alarm; null while it can.</summary>
    private DateTimeOffset? _unavailableSince;
    /// <summary>How long the constructor took: the write-ahead log recovered to its last commit, both tables allocated.</summary>
    private readonly TimeSpan _filesOpened;

    private FasterOutpostStore(FasterStoreOptions options, ILoggerFactory loggerFactory)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        this._options = options;
        _logger = loggerFactory.CreateLogger<FasterOutpostStore>();
        _lock = StoreFiles.Lock(options.DataDirectory);
        try
        {
            _isNew = StoreFiles.PrepareNew(options.DataDirectory);
            _wal = OpenWal(options, loggerFactory);
            _jobs = new JobTable(options.DataDirectory, options, new JobFunctions(_wal, _catalog));
            _blobs = new BlobTable(options.DataDirectory, options);
            _diskGuard = new DiskGuard(options.DataDirectory, options.MinFreeBytes, options.Clock);
            _checkpointer = new Checkpointer(this, options, _logger);
            _filesOpened = clock.Elapsed;
        }
        catch
        {
            _lock.Dispose();
            throw;
        }
    }

    private static WriteAheadLog OpenWal(FasterStoreOptions options, ILoggerFactory loggerFactory)
    {
        var directory = Path.Combine(options.DataDirectory, "wal");
        try
        {
            return new WriteAheadLog(directory, options, loggerFactory.CreateLogger<WriteAheadLog>());
        }
        catch (Exception e) when (e is FASTER.core.FasterException or IOException or InvalidDataException or IndexOutOfRangeException)
        {
            throw StoreDamagedException.Of(directory, $"could not be recovered ({e.Message})", e);
        }
    }

    /// <summary>Opens (creating or recovering) the store in <see cref="FasterStoreOptions.DataDirectory"/>.</summary>
    public static ValueTask<FasterOutpostStore> OpenAsync(FasterStoreOptions options, ILoggerFactory loggerFactory, CancellationToken ct = default) =>
        OpenAsync(options, loggerFactory, verifyOnly: false, records: null, ct);

    /// <summary>
    /// Opens the store beside its records database, as the daemon does: a store written by the version before the
    /// records database first has its findings moved there (docs/records.md, "Upgrading").
    /// </summary>
    public static ValueTask<FasterOutpostStore> OpenAsync(FasterStoreOptions options, Records.RecordsDatabase records, ILoggerFactory loggerFactory,
        CancellationToken ct = default) =>
        OpenAsync(options, loggerFactory, verifyOnly: false, records, ct);

    /// <summary>
    /// Opens the store; with <paramref name="verifyOnly"/> it recovers and checks everything but starts no
    /// background work, for <c>outpost store verify</c> (the caller disposes it with <see cref="CloseWithoutCheckpointAsync"/>).
    /// </summary>
    internal static async ValueTask<FasterOutpostStore> OpenAsync(FasterStoreOptions options, ILoggerFactory loggerFactory, bool verifyOnly,
        Records.RecordsDatabase? records, CancellationToken ct)
    {
        var store = new FasterOutpostStore(options, loggerFactory);
        try
        {
            await RecoveryThreads.Run(store.Recover, ct).ConfigureAwait(false);
            if (records is not null && !verifyOnly) await store.ImportRetiredFindingsAsync(records, ct).ConfigureAwait(false);
            // A new store writes its first checkpoint at once: from then on a missing manifest is damage, not newness.
            if (store._isNew && !verifyOnly)
            {
                await store.CheckpointAsync(withIndex: true, ct).ConfigureAwait(false);
                StoreFiles.FinishCreation(options.DataDirectory);
            }
            if (!verifyOnly) store._checkpointer.Start();
            return store;
        }
        catch
        {
            await store.DisposeCoreAsync(checkpoint: false).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>What recovery found and did, for logs and benchmarks.</summary>
    public RecoveryReport Recovery { get; private set; }

    /// <summary>True when the directory held no store and this one was created.</summary>
    public bool IsNew => _isNew;

    /// <summary>The store cannot take changes now: the disk is (nearly) full, or the write-ahead log cannot write.</summary>
    public string? UnavailableReason => _diskGuard.Problem ?? _wal.Failure;

    /// <summary>
    /// Refuses a change before anything is touched while the disk guard says there is no room: the caller gets
    /// <see cref="StoreUnavailableException"/> (503) and retries; nothing half-done is left behind.
    /// </summary>
    private void EnsureWritable()
    {
        if (_diskGuard.Problem is { } problem) throw new StoreUnavailableException(problem);
    }

    /// <summary>
    /// Recovers everything or nothing (docs/store-operations.md, "Fail closed"): a directory that holds a store must
    /// have its manifest, the catalog it names, both tables' checkpoints, and every file of the logs they need;
    /// anything missing or unreadable is <see cref="StoreDamagedException"/> naming the file, never an empty store.
    /// </summary>
    private void Recover()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var directory = _options.DataDirectory;
        if (_isNew)
        {
            Recovery = new RecoveryReport(false, 0, 0, 0, 0, _filesOpened + clock.Elapsed, _filesOpened, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
            LogCreated(_logger, directory);
            return;
        }
        var manifest = ReadManifest(directory);
        // The two tables and the catalog restore independently: side by side. A damaged table is reported before a
        // damaged catalog, in the order listed.
        CatalogSnapshot snapshot = null!;
        RecoveryThreads.RunLanes(
            () => _jobs.Recover(directory),
            () => _blobs.Recover(directory),
            () => snapshot = ReadCatalog(directory, manifest.CatalogFile));
        GrowIndexesToConfigured();
        StoreFiles.CheckSegments(directory, "jobs.log", Math.Max(FasterKvTables.PageSizeBits, _options.LogSegmentSizeBits), _jobs.LogBegin, _jobs.LogTail, "the job table");
        StoreFiles.CheckSegments(directory, "blobs.log", Math.Max(FasterKvTables.PageSizeBits, _options.LogSegmentSizeBits), _blobs.LogBegin, _blobs.LogTail, "the blob table");
        var checkpointTime = clock.Elapsed;
        _catalog.Load(snapshot);
        var walDirectory = Path.Combine(directory, "wal");
        if (_wal.TailAddress < manifest.WalStart)
            throw StoreDamagedException.Of(walDirectory, $"ends at address {_wal.TailAddress}, before the checkpoint's start {manifest.WalStart}: acknowledged changes are missing");
        StoreFiles.CheckSegments(walDirectory, "wal.log", Math.Max(22, _options.WalSegmentSizeBits), Math.Max(manifest.WalStart, _wal.BeginAddress), _wal.TailAddress, "the write-ahead log");
        var (replayed, replayedBytes) = Replay(Math.Max(manifest.WalStart, _wal.BeginAddress));
        var replayTime = clock.Elapsed - checkpointTime;
        var (live, orphans) = RebuildIndexes(Math.Max(1, snapshot.JobIdFloor));
        // The live jobs are counted now: a store killed before a round grew its indexes has them grown before it serves.
        GrowLoadedIndexes();
        Recovery = new RecoveryReport(true, replayed, replayedBytes, live, orphans, _filesOpened + clock.Elapsed, _filesOpened, checkpointTime, replayTime,
            clock.Elapsed - checkpointTime - replayTime);
        LogRecovered(_logger, live, replayed, orphans, Recovery.Elapsed.TotalMilliseconds);
    }

    private static Manifest ReadManifest(string directory)
    {
        try
        {
            return Manifest.TryRead(directory) ?? throw StoreDamagedException.Of(Path.Combine(directory, Manifest.FileName),
                "is missing, but the directory holds store files");
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw StoreDamagedException.Of(Path.Combine(directory, Manifest.FileName), $"cannot be read ({e.Message})", e);
        }
    }

    private static CatalogSnapshot ReadCatalog(string directory, string file)
    {
        var path = Path.Combine(directory, file);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), StoreJson.Default.CatalogSnapshot)
                ?? throw StoreDamagedException.Of(path, "is empty");
        }
        catch (FileNotFoundException e)
        {
            throw StoreDamagedException.Of(path, "is missing (the manifest names it)", e);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw StoreDamagedException.Of(path, $"cannot be read ({e.Message})", e);
        }
    }

    private void RemoveJobRecord(long jobId)
    {
        _jobs.Delete(jobId);
        _blobs.Delete(jobId, BlobKind.Spec);
        _blobs.Delete(jobId, BlobKind.Error);
        _blobs.Delete(jobId, BlobKind.Ranges);
    }

    /// <summary>
    /// One round of the checkpointer: grows a table's hash index once its live records outgrow it (see
    /// <see cref="IndexSizing"/>), compacts a table's log once it has doubled since its last compaction (and
    /// grown past <see cref="FasterStoreOptions.CompactionMinBytes"/>), then checkpoints. Skipped while the disk
    /// guard says there is no room: a checkpoint writes too.
    /// </summary>
    internal async Task<bool> MaintainAsync(CancellationToken ct)
    {
        if (_diskGuard.Problem is not null) return false;
        await _maintenance.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await CompactAndCheckpointAsync(ct).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _maintenance.Release();
        }
    }

    private async Task CompactAndCheckpointAsync(CancellationToken ct)
    {
        var grown = GrowLoadedIndexes();
        var compacted = false;
        if (_jobs.LogTail - _jobs.LogBegin >= Math.Max(_options.CompactionMinBytes, 2 * _compactedJobBytes))
        {
            _jobs.Compact();
            _compactedJobBytes = _jobs.LogTail - _jobs.LogBegin;
            compacted = true;
        }
        if (_blobs.LogTail - _blobs.LogBegin >= Math.Max(_options.CompactionMinBytes, 2 * _compactedBlobBytes))
        {
            _blobs.Compact();
            _compactedBlobBytes = _blobs.LogTail - _blobs.LogBegin;
            compacted = true;
        }
        // After a compaction the index is checkpointed too, so recovery never starts from an index that points
        // below the new begin address; after a growth so the next start restores the grown index.
        await CheckpointAsync(compacted || grown ? true : null, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Checkpoints FASTER and the catalog, then drops the log they cover (see the type's remarks). The hash index is
    /// written only when asked or once a table's log grew by a quarter since (at least 64 MiB): it is large and
    /// rewriting it unchanged is what kept an idle store busy.
    /// </summary>
    internal async Task CheckpointAsync(bool? withIndex, CancellationToken ct)
    {
        var walStart = _wal.TailAddress;
        // The manifest must never point past what is on disk: entries before walStart are committed first.
        await _wal.WaitCommittedAsync(walStart, ct).ConfigureAwait(false);
        var snapshot = _catalog.Snapshot() with { JobIdFloor = _lowestJobId };
        var (jobTail, blobTail) = (_jobs.LogTail, _blobs.LogTail);
        var index = withIndex ?? (Grown(jobTail, _indexedJobTail) || Grown(blobTail, _indexedBlobTail));
        await _jobs.CheckpointAsync(index).ConfigureAwait(false);
        await _blobs.CheckpointAsync(index).ConfigureAwait(false);
        if (index) (_indexedJobTail, _indexedBlobTail) = (jobTail, blobTail);
        Manifest.Write(_options.DataDirectory, walStart, JsonSerializer.SerializeToUtf8Bytes(snapshot, StoreJson.Default.CatalogSnapshot));
        _wal.TruncateUntil(walStart);
        CheckpointWritten();
    }

    private static bool Grown(long tail, long indexedTail) => indexedTail < 0 || tail - indexedTail >= Math.Max(64L << 20, indexedTail / 4);

    internal long WalBytesSinceCheckpoint(long lastStart) => _wal.TailAddress - lastStart;

    internal long WalTail => _wal.TailAddress;

    internal long JobIdHighWater => _catalog.JobIdHighWater;

    private ValueTask WaitDurableAsync(long walUntil, CancellationToken ct) =>
        walUntil == 0 ? ValueTask.CompletedTask : _wal.WaitCommittedAsync(walUntil, ct);

    public ValueTask DisposeAsync() => DisposeCoreAsync(checkpoint: true);

    private async ValueTask DisposeCoreAsync(bool checkpoint)
    {
        await _checkpointer.DisposeAsync().ConfigureAwait(false);
        if (checkpoint)
        {
            try
            {
                // A clean shutdown leaves nothing to replay, so the next start is quick.
                if (_diskGuard.Problem is null) await CheckpointAsync(withIndex: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or StoreUnavailableException)
            {
                LogShutdownCheckpointFailed(_logger, e);
            }
        }
        await _wal.DisposeAsync().ConfigureAwait(false);
        _jobs.Dispose();
        _blobs.Dispose();
        _diskGuard.Dispose();
        _maintenance.Dispose();
        await _lock.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes a store opened to be verified: nothing is written, the directory stays as it was found.</summary>
    internal ValueTask CloseWithoutCheckpointAsync() => DisposeCoreAsync(checkpoint: false);

    [LoggerMessage(Level = LogLevel.Information, Message = "store created in {Directory}")]
    private static partial void LogCreated(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "store recovered: {Jobs} jobs, {Entries} log entries replayed, {Orphans} unacknowledged jobs dropped, in {Milliseconds:0} ms")]
    private static partial void LogRecovered(ILogger logger, long jobs, long entries, long orphans, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "shutdown checkpoint failed; the next start replays the log")]
    private static partial void LogShutdownCheckpointFailed(ILogger logger, Exception error);
}

/// <summary>
/// What recovery did: whether a checkpoint was restored, log entries (and their bytes) replayed, jobs found, and the time taken in
/// all and by phase (opening the files: the write-ahead log recovered to its last commit and the tables allocated; restoring
/// FASTER's checkpoints; replaying the log; rebuilding the in-memory indexes).
/// </summary>
public readonly record struct RecoveryReport(bool FromCheckpoint, long EntriesReplayed, long BytesReplayed, long Jobs, long OrphansDropped, TimeSpan Elapsed,
    TimeSpan FilesOpened, TimeSpan CheckpointRestore, TimeSpan Replay, TimeSpan Rebuild);
