using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Model;

namespace Outpost.Store.Tests.LongRun;

/// <summary>
/// docs/store-operations.md, "Bounded disk": under steady load with retention, compaction keeps the data directory
/// on a plateau. Time is compressed: every round is ten minutes of the store's clock (the times the store is given),
/// retention keeps one hour, and the checkpointer's round (compaction, checkpoint) runs after each.
/// </summary>
public sealed class BoundedDiskTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Many_lifecycles_with_retention_keep_the_data_directory_on_a_plateau()
    {
        var directory = Path.Combine(Path.GetTempPath(), "outpost-plateau-" + Guid.NewGuid().ToString("N"));
        var options = TempStore.Options(directory) with
        {
            JobMemorySizeBits = 23,
            BlobMemorySizeBits = 22,
            // Small indexes, so they grow in the same rounds that compact and retention removes from.
            JobIndexBuckets = 1L << 10,
            BlobIndexBuckets = 1L << 10,
            LogSegmentSizeBits = 22,
            WalSegmentSizeBits = 22,
            CompactionMinBytes = 8L << 20,
            CheckpointInterval = TimeSpan.FromDays(1),
            CheckpointWalBytes = long.MaxValue,
        };
        var store = await FasterOutpostStore.OpenAsync(options, NullLoggerFactory.Instance);
        try
        {
            var now = new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);
            var scanner = await store.CreateScannerAsync("s", new byte[32], [], null, now);
            const int Rounds = 36, PerRound = 5_000;
            var sizes = new List<long>();
            for (var round = 0; round < Rounds; round++)
            {
                now = now.AddMinutes(10);
                var jobs = Enumerable.Range(0, PerRound).Select(i => new NewJob(scanner.Id, "portscan", [new JobTarget($"10.1.{i >> 8}.{i & 255}", "22,80,443")], 100)).ToList();
                await store.CreateScanAsync(new ScanSpec { Name = "r", Targets = ["10.1.0.0/16"], Ports = "22,80,443", ScannerIds = [scanner.Id] }, ScanStatus.Running, jobs, now);
                for (var claimed = await store.ClaimAsync(scanner.Id, 500, null, now); claimed.Count > 0; claimed = await store.ClaimAsync(scanner.Id, 500, null, now))
                {
                    // Side by side, as scanners work: each acknowledgment waits for a group commit.
                    await Task.WhenAll(claimed.Select(async job =>
                    {
                        await store.StartAsync(scanner.Id, job.JobId, now);
                        await store.CompleteAsync(scanner.Id, job.JobId, false, 1, null, now);
                    }));
                }
                await store.RemoveFinishedBeforeAsync(now.AddHours(-1));
                Assert.True(await store.MaintainAsync(CancellationToken.None));
                sizes.Add(FasterOutpostStore.DiskBytes(directory));
            }
            output.WriteLine("MiB per round: " + string.Join(" ", sizes.Select(s => (s >> 20).ToString(System.Globalization.CultureInfo.InvariantCulture))));
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
                output.WriteLine($"{Path.GetFileName(entry)}: {(File.Exists(entry) ? new FileInfo(entry).Length : FasterOutpostStore.DiskBytes(entry)) >> 10} KiB");

            // 180 000 lifecycles wrote far more than the plateau; the last third is no larger than the middle one.
            var middle = sizes.Skip(Rounds / 3).Take(Rounds / 3).Max();
            var last = sizes.Skip(2 * Rounds / 3).Max();
            Assert.True(last <= middle * 1.25, $"the directory kept growing: {middle >> 20} MiB in the middle third, {last >> 20} MiB in the last");
            Assert.True(last < 64L << 20, $"the plateau is {last >> 20} MiB for about 30 000 live jobs");

            // And nothing live was lost on the way: the last hour's jobs are all there after a restart.
            await store.DisposeAsync();
            store = await FasterOutpostStore.OpenAsync(options, NullLoggerFactory.Instance);
            // Retention keeps the last hour, both ends included: seven rounds.
            Assert.Equal(7 * PerRound, store.Recovery.Jobs);
            Assert.True(store.IndexBuckets.Jobs > 1L << 10, $"the job index did not grow: {store.IndexBuckets.Jobs} buckets");
            Assert.All(store.ListScans(), scan => Assert.Equal(ScanStatus.Completed, scan.Status));
        }
        finally
        {
            await store.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }
}
