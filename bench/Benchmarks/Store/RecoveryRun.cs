using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// Recovery after a crash: a child process (this benchmark, in "fill" mode) fills a store with N jobs, runs part
/// of them through their lifecycle so the write-ahead log has a tail to replay, reports, and is killed with
/// SIGKILL; the benchmark then times opening the store.
/// </summary>
internal static class RecoveryRun
{
    /// <summary>The time to reopen, and this process's resident memory once the store holding the jobs is open.</summary>
    public static async Task<(TimeSpan Elapsed, double RssMegabytes)> MeasureAsync(long jobs)
    {
        var directory = StoreBenchmark.TempDirectory("outpost-bench-recovery");
        try
        {
            var self = Environment.ProcessPath!;
            var arguments = new List<string>();
            if (Path.GetFileNameWithoutExtension(self) == "dotnet") arguments.Add(typeof(RecoveryRun).Assembly.Location);
            arguments.AddRange(["store", "fill", directory, jobs.ToString(CultureInfo.InvariantCulture)]);
            using var child = Process.Start(new ProcessStartInfo(self, arguments) { RedirectStandardOutput = true })!;
            var line = await child.StandardOutput.ReadLineAsync();
            if (line != "FILLED") throw new InvalidOperationException($"the fill process said: {line}");
            child.Kill();
            await child.WaitForExitAsync();

            var clock = Stopwatch.StartNew();
            await using var store = await FasterOutpostStore.OpenAsync(Options(directory, jobs), NullLoggerFactory.Instance);
            var elapsed = clock.Elapsed;
            if (store.Recovery.Jobs != jobs) throw new InvalidOperationException($"recovered {store.Recovery.Jobs} jobs, expected {jobs}");
            var report = store.Recovery;
            Console.WriteLine($"  recovered {report.Jobs:N0} jobs, replayed {report.EntriesReplayed:N0} log entries ({report.BytesReplayed / 1048576.0:0.0} MiB), from checkpoint: {report.FromCheckpoint}; " +
                Phases(report));
            return (elapsed, IdleRun.ResidentMegabytes(Environment.ProcessId));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public static async Task<int> FillAndWaitAsync(string directory, long jobs)
    {
        var store = await FasterOutpostStore.OpenAsync(Options(directory, jobs), NullLoggerFactory.Instance);
        var scanner = await store.CreateScannerAsync("fill", new byte[32], [], null, DateTimeOffset.UtcNow);
        await Preload.CreateJobsAsync(store, [scanner.Id], (int)jobs);
        // Some lifecycle traffic after the last checkpoint, so recovery has log to replay.
        for (var i = 0; i < 2_000; i++)
        {
            var claimed = await store.ClaimAsync(scanner.Id, 10, "127.0.0.1", DateTimeOffset.UtcNow);
            foreach (var job in claimed) await store.StartAsync(scanner.Id, job.JobId, DateTimeOffset.UtcNow);
        }
        Console.WriteLine("FILLED");
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    /// <summary>
    /// Where an open's time went, as the store reports it: opening the files (the write-ahead log and the tables), restoring
    /// the checkpoints, replaying the log, rebuilding from the job records.
    /// </summary>
    public static string Phases(RecoveryReport report) => string.Create(CultureInfo.InvariantCulture,
        $"files opened {report.FilesOpened.TotalSeconds:0.00} s, checkpoint restore {report.CheckpointRestore.TotalSeconds:0.00} s, replay {report.Replay.TotalSeconds:0.00} s, index rebuild {report.Rebuild.TotalSeconds:0.00} s");

    /// <summary>
    /// The defaults a daemon runs with, with the hash indexes an operator sets for this many jobs as
    /// docs/store-operations.md ("Sizing") says: grown one doubling at a time while most records are already on disk,
    /// an index keeps copies of their entries in both halves until compaction passes them (10 M jobs held 1 270 MB that
    /// way against about 900 presized).
    /// </summary>
    private static FasterStoreOptions Options(string directory, long jobs)
    {
        var defaults = new FasterStoreOptions { DataDirectory = directory };
        return defaults with
        {
            JobIndexBuckets = IndexSizing.NeededFor(jobs, defaults.JobIndexBuckets, IndexSizing.JobGrowthLoad),
            BlobIndexBuckets = IndexSizing.NeededFor(2 * jobs, defaults.BlobIndexBuckets, IndexSizing.BlobGrowthLoad),
        };
    }
}
