using System.Diagnostics;
using System.Globalization;
using FASTER.core;
using Outpost.Store.Faster;

namespace Outpost.Benchmarks.Store;

/// <summary>
/// outpost-bench store commit-record [--commits N]: recording where the write-ahead log's last commit ends, once per
/// group commit, with the store's <see cref="WalCommitRecord"/> (two slots of one file, rewritten in turn) against
/// FASTER's default commit manager (a new file per commit, the one before deleted), in the same temp directory.
/// Prints microseconds per commit, and the disk's sectors written per commit (all of /sys/block, so an otherwise idle
/// machine gives the file system's own writes: journal and directory blocks beside the 4 KiB of data).
/// </summary>
internal static class CommitRecordBenchmark
{
    public static int Run(int commits)
    {
        var directory = StoreBenchmark.TempDirectory("outpost-bench-commit-record");
        // What FasterLog hands over per commit: its begin and end addresses and a commit number, a few dozen bytes.
        var metadata = new byte[64];
        Random.Shared.NextBytes(metadata);
        try
        {
            (double Microseconds, double KiB) outpost = default, peer = default;
            for (var round = 0; round < 3; round++)
            {
                var faster = Path.Combine(directory, "faster-" + round);
                using (var manager = new DeviceLogCommitCheckpointManager(new LocalStorageNamedDeviceFactory(), new DefaultCheckpointNamingScheme(faster), removeOutdated: true))
                    peer = Add(peer, Measure("FASTER's commit files", commits, n => manager.Commit(0, 0, metadata, n, forceWriteMetadata: false)));
                var slots = Path.Combine(directory, "slots-" + round);
                Directory.CreateDirectory(slots);
                using (var record = new WalCommitRecord(slots, logHasEntries: false))
                    outpost = Add(outpost, Measure("wal.commit slots", commits, n => record.Commit(0, 0, metadata, n, forceWriteMetadata: false)));
            }
            Summary.Print("store-wal-commit-record", outpost.Microseconds / 3, peer.Microseconds / 3, "us/commit");
            Summary.Print("store-wal-commit-record-disk", outpost.KiB / 3, peer.KiB / 3, "KiB/commit");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static (double, double) Add((double Microseconds, double KiB) sum, (double Microseconds, double KiB) run) =>
        (sum.Microseconds + run.Microseconds, sum.KiB + run.KiB);

    private static (double Microseconds, double KiB) Measure(string what, int commits, Action<long> commit)
    {
        var sectorsBefore = SectorsWritten();
        var started = Stopwatch.GetTimestamp();
        for (long n = 1; n <= commits; n++) commit(n);
        var microseconds = Stopwatch.GetElapsedTime(started).TotalMicroseconds / commits;
        var kibPerCommit = (SectorsWritten() - sectorsBefore) * 512.0 / 1024 / commits;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {microseconds:0} us per commit, {kibPerCommit:0.0} KiB written to disk per commit"));
        return (microseconds, kibPerCommit);
    }

    /// <summary>Sectors written to every block device since boot (field 7 of /sys/block/*/stat).</summary>
    private static long SectorsWritten() =>
        Directory.EnumerateDirectories("/sys/block").Sum(device =>
            File.ReadAllText(Path.Combine(device, "stat")).Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, _, _, _, _, _, var sectors, ..]
                ? long.Parse(sectors, CultureInfo.InvariantCulture)
                : 0);
}
