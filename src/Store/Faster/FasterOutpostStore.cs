using Outpost.Store.Lifecycle;
using System.Text.Json;
using Microsoft.Extensions.Logging;
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
public sealed partial class FasterOutpostStore : IOutpostStore
{
    private readonly FasterStoreOptions options;
    private readonly ILogger logger;
    private readonly WriteAheadLog wal;
    private readonly Catalog catalog = new();
    private readonly JobTable jobs;
    private readonly BlobTable blobs;
    private readonly ScannerQueues queues = new();
    private readonly Checkpointer checkpointer;
    private long lowestJobId = 1;

    private FasterOutpostStore(FasterStoreOptions options, ILoggerFactory loggerFactory)
    {
        this.options = options;
        logger = loggerFactory.CreateLogger<FasterOutpostStore>();
        Directory.CreateDirectory(options.DataDirectory);
        wal = new WriteAheadLog(Path.Combine(options.DataDirectory, "wal"), loggerFactory.CreateLogger<WriteAheadLog>());
        jobs = new JobTable(options.DataDirectory, options, new JobFunctions(wal, catalog));
        blobs = new BlobTable(options.DataDirectory, options);
        checkpointer = new Checkpointer(this, options, logger);
    }

    /// <summary>Opens (creating or recovering) the store in <see cref="FasterStoreOptions.DataDirectory"/>.</summary>
    public static async ValueTask<FasterOutpostStore> OpenAsync(FasterStoreOptions options, ILoggerFactory loggerFactory, CancellationToken ct = default)
    {
        var store = new FasterOutpostStore(options, loggerFactory);
        try
        {
            await Task.Run(store.Recover, ct).ConfigureAwait(false);
            store.checkpointer.Start();
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

    private void Recover()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // The two tables restore independently: side by side, on both cores.
        var restores = new[] { Task.Run(jobs.TryRecover), Task.Run(blobs.TryRecover) };
        Task.WaitAll(restores);
        var recoveredCheckpoint = restores[0].Result & restores[1].Result;
        var checkpointTime = clock.Elapsed;
        var walStart = 0L;
        if (Manifest.TryRead(options.DataDirectory) is { } manifest)
        {
            walStart = manifest.WalStart;
            var snapshot = JsonSerializer.Deserialize(File.ReadAllBytes(Path.Combine(options.DataDirectory, manifest.CatalogFile)), StoreJson.Default.CatalogSnapshot)
                ?? throw new InvalidDataException($"catalog file {manifest.CatalogFile} is empty");
            catalog.Load(snapshot);
        }
        var replayed = Replay(Math.Max(walStart, wal.BeginAddress));
        var replayTime = clock.Elapsed - checkpointTime;
        var (live, orphans) = RebuildIndexes();
        Recovery = new RecoveryReport(recoveredCheckpoint, replayed, live, orphans, clock.Elapsed, checkpointTime, replayTime, clock.Elapsed - checkpointTime - replayTime);
        LogRecovered(logger, live, replayed, orphans, clock.Elapsed.TotalMilliseconds);
    }

    private long Replay(long from)
    {
        long entries = 0;
        using var iterator = wal.Scan(from);
        while (iterator.GetNext(out byte[] entry, out var length, out _))
        {
            var reader = new WalEntryReader(entry.AsSpan(0, length));
            while (reader.Next(out var part, out var payload)) ApplyPart(part, payload);
            entries++;
        }
        return entries;
    }

    private void ApplyPart(WalPart part, ReadOnlySpan<byte> payload)
    {
        switch (part)
        {
            case WalPart.JobImage:
                jobs.Upsert(System.Runtime.InteropServices.MemoryMarshal.Read<JobRecord>(payload));
                break;
            case WalPart.JobBlob:
                blobs.Put(BitConverter.ToInt64(payload), (BlobKind)payload[8], payload[9..]);
                break;
            case WalPart.Catalog:
                catalog.Apply(Catalog.Deserialize(payload));
                break;
            case WalPart.ScanStatus:
                catalog.ApplyScanStatus(BitConverter.ToInt64(payload), (ScanStatus)payload[8], BitConverter.ToInt64(payload[9..]));
                break;
            case WalPart.JobsRemoved:
                foreach (var jobId in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(payload)) RemoveJobRecord(jobId);
                break;
            default:
                throw new InvalidDataException($"unknown write-ahead log part {part}");
        }
    }

    /// <summary>
    /// Rebuilds what memory derives from the job records: scan tallies, claim queues in id order, active sets.
    /// A job its scan does not list was written by a dispatch that crashed before its scan was logged: never
    /// acknowledged, so it is removed. The id range is read in two halves on two threads; each half collects its
    /// queued ids, and the halves are queued in order afterwards so every queue stays in id order.
    /// </summary>
    private (long Live, long Orphans) RebuildIndexes()
    {
        var highWater = catalog.JobIdHighWater;
        var middle = highWater / 2;
        var halves = new[] { new RebuildHalf(1, middle), new RebuildHalf(middle + 1, highWater) };
        Parallel.ForEach(halves, half => jobs.ForEach(half.First, half.Last, (in JobRecord record) =>
        {
            var scan = catalog.Scan(record.ScanId);
            if (scan is null || !scan.OwnsJob(record.JobId))
            {
                half.Orphans.Add(record.JobId);
                return;
            }
            half.Lowest = half.Lowest == 0 ? record.JobId : half.Lowest;
            half.Live++;
            half.TallyOf(scan).Add(in record);
            if (record.Status == JobStatus.Queued) half.Queued.Add((record.ScannerId, record.JobId, record.Has(JobFlags.Automated), scan.Spec.Capability));
            else if (record.Status is JobStatus.Claimed or JobStatus.Running) queues.For(record.ScannerId).Active[record.JobId] = 0;
        }));
        foreach (var half in halves)
        {
            foreach (var (scannerId, jobId, automated, capability) in half.Queued)
            {
                queues.For(scannerId).For(capability, automated).Fresh.Enqueue(jobId);
            }
            foreach (var jobId in half.Orphans) RemoveJobRecord(jobId);
            foreach (var (scan, tally) in half.Tallies) scan.Tally.AddFrom(tally);
        }
        lowestJobId = Math.Max(1, halves[0].Lowest != 0 ? halves[0].Lowest : halves[1].Lowest);
        return (halves.Sum(h => h.Live), halves.Sum(h => h.Orphans.Count));
    }

    private sealed class RebuildHalf(long first, long last)
    {
        public long First { get; } = first;
        public long Last { get; } = last;
        public long Live { get; set; }
        public long Lowest { get; set; }
        public List<(long ScannerId, long JobId, bool Automated, string Capability)> Queued { get; } = [];
        public List<long> Orphans { get; } = [];
        /// <summary>Counted per thread and merged afterwards, so the two threads never share a cache line.</summary>
        public Dictionary<ScanEntry, ScanTally> Tallies { get; } = [];

        public ScanTally TallyOf(ScanEntry scan) =>
            Tallies.TryGetValue(scan, out var tally) ? tally : Tallies[scan] = new ScanTally();
    }

    private void RemoveJobRecord(long jobId)
    {
        jobs.Delete(jobId);
        blobs.Delete(jobId, BlobKind.Spec);
        blobs.Delete(jobId, BlobKind.Error);
    }

    /// <summary>Checkpoints FASTER and the catalog, then drops the log they cover (see the type's remarks).</summary>
    internal async Task CheckpointAsync(bool withIndex, CancellationToken ct)
    {
        var walStart = wal.TailAddress;
        var snapshot = catalog.Snapshot();
        await jobs.CheckpointAsync(withIndex, ct).ConfigureAwait(false);
        await blobs.CheckpointAsync(withIndex, ct).ConfigureAwait(false);
        Manifest.Write(options.DataDirectory, walStart, JsonSerializer.SerializeToUtf8Bytes(snapshot, StoreJson.Default.CatalogSnapshot));
        wal.TruncateUntil(walStart);
    }

    internal long WalBytesSinceCheckpoint(long lastStart) => wal.TailAddress - lastStart;

    internal long WalTail => wal.TailAddress;

    internal long JobIdHighWater => catalog.JobIdHighWater;

    private ValueTask WaitDurableAsync(long walUntil, CancellationToken ct) =>
        walUntil == 0 ? ValueTask.CompletedTask : wal.WaitCommittedAsync(walUntil, ct);

    public ValueTask DisposeAsync() => DisposeCoreAsync(checkpoint: true);

    private async ValueTask DisposeCoreAsync(bool checkpoint)
    {
        await checkpointer.DisposeAsync().ConfigureAwait(false);
        if (checkpoint)
        {
            try
            {
                // A clean shutdown leaves nothing to replay, so the next start is quick.
                await CheckpointAsync(withIndex: true, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                LogShutdownCheckpointFailed(logger, e);
            }
        }
        await wal.DisposeAsync().ConfigureAwait(false);
        jobs.Dispose();
        blobs.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "store recovered: {Jobs} jobs, {Entries} log entries replayed, {Orphans} unacknowledged jobs dropped, in {Milliseconds:0} ms")]
    private static partial void LogRecovered(ILogger logger, long jobs, long entries, long orphans, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "shutdown checkpoint failed; the next start replays the log")]
    private static partial void LogShutdownCheckpointFailed(ILogger logger, Exception error);
}

/// <summary>
/// What recovery did: whether a checkpoint was restored, log entries replayed, jobs found, and the time taken in
/// all and by phase (restoring FASTER's checkpoints, replaying the log, rebuilding the in-memory indexes).
/// </summary>
public readonly record struct RecoveryReport(bool FromCheckpoint, long EntriesReplayed, long Jobs, long OrphansDropped, TimeSpan Elapsed,
    TimeSpan CheckpointRestore, TimeSpan Replay, TimeSpan Rebuild);
