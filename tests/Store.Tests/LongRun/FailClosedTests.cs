using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Model;

namespace Outpost.Store.Tests.LongRun;

/// <summary>
/// docs/store-operations.md, "Fail closed": a store with a file missing or damaged is never opened as empty; the
/// error names the file and the way out.
/// </summary>
public sealed class FailClosedTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "outpost-failclosed-" + Guid.NewGuid().ToString("N"));

    /// <summary>Small files of the logs (4 MiB), so a few hundred thousand jobs span several of them.</summary>
    private FasterStoreOptions Options => TempStore.Options(_directory) with
    {
        LogSegmentSizeBits = 22,
        WalSegmentSizeBits = 22,
        CheckpointInterval = TimeSpan.FromHours(1),
        CheckpointWalBytes = long.MaxValue,
    };

    public async Task InitializeAsync()
    {
        // A checkpoint holding 60 000 jobs (several job-log files), then 120 000 more only in the write-ahead log
        // (several of its files), and the store closed as a crash leaves it: no checkpoint at the end.
        var store = await FasterOutpostStore.OpenAsync(Options, NullLoggerFactory.Instance);
        var scanner = await store.CreateScannerAsync("s", new byte[32], [], null, DateTimeOffset.UtcNow);
        await CreateJobsAsync(store, scanner.Id, 60_000);
        await store.CheckpointAsync(withIndex: true, CancellationToken.None);
        await CreateJobsAsync(store, scanner.Id, 60_000);
        await CreateJobsAsync(store, scanner.Id, 60_000);
        await store.CloseWithoutCheckpointAsync();
    }

    private static async Task CreateJobsAsync(FasterOutpostStore store, long scannerId, int count)
    {
        var jobs = Enumerable.Range(0, count).Select(i => new NewJob(scannerId, "portscan", [new JobTarget($"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}", "1-1024")], 100)).ToList();
        await store.CreateScanAsync(new ScanSpec { Name = "x", Targets = ["10.0.0.0/8"], Ports = "1-1024", ScannerIds = [scannerId] }, ScanStatus.Running, jobs, DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task The_intact_directory_opens_with_every_job()
    {
        await using var store = await FasterOutpostStore.OpenAsync(Options, NullLoggerFactory.Instance);
        Assert.Equal(180_000, store.Recovery.Jobs);
        Assert.False(store.IsNew);
    }

    [Theory]
    [InlineData("manifest.json", "delete")]
    [InlineData("manifest.json", "corrupt")]
    [InlineData("catalog-*.json", "delete")]
    [InlineData("catalog-*.json", "corrupt")]
    [InlineData("checkpoints/jobs", "delete")]
    [InlineData("checkpoints/blobs", "delete")]
    [InlineData("jobs.log.1", "delete")]
    [InlineData("wal/wal.log.*", "delete")]
    [InlineData("wal/wal.log.*", "delete-last")]
    [InlineData("wal/wal.commit", "delete")]
    [InlineData("wal/wal.commit", "corrupt")]
    public async Task A_missing_or_damaged_file_stops_the_open_naming_it(string file, string damage)
    {
        // The write-ahead log's newest segment holds the newest acknowledged changes: losing it must not reopen the
        // store at an older commit, which a log that records its commit point less often than every commit would do.
        var path = damage == "delete-last" ? LastOf(file) : Resolve(file);
        if (damage == "corrupt") await File.WriteAllTextAsync(path, "{ not what was written");
        else if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);

        var error = await Assert.ThrowsAsync<StoreDamagedException>(async () => await FasterOutpostStore.OpenAsync(Options, NullLoggerFactory.Instance));

        Assert.Contains(Path.GetFileName(path), error.Message, StringComparison.Ordinal);
        Assert.Contains("outpost restore", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_explains_a_healthy_store_and_a_damaged_one()
    {
        var healthy = new StringWriter();
        Assert.True(await FasterOutpostStore.VerifyAsync(Options, healthy, CancellationToken.None));
        Assert.Contains("180,000 jobs", healthy.ToString(), StringComparison.Ordinal);

        var segment = Resolve("wal/wal.log.*");
        File.Delete(segment);
        var damaged = new StringWriter();
        Assert.False(await FasterOutpostStore.VerifyAsync(Options, damaged, CancellationToken.None));
        Assert.Contains(Path.GetFileName(segment), damaged.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_process_cannot_open_a_store_in_use()
    {
        await using var store = await FasterOutpostStore.OpenAsync(Options, NullLoggerFactory.Instance);
        var error = await Assert.ThrowsAsync<IOException>(async () => await FasterOutpostStore.OpenAsync(Options, NullLoggerFactory.Instance));
        Assert.Contains("in use", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The one file or directory matching <paramref name="pattern"/>; for the log's files, the middle one (a gap).</summary>
    private string Resolve(string pattern)
    {
        var relative = Path.GetDirectoryName(pattern) ?? "";
        var matches = Directory.GetFileSystemEntries(Path.Combine(_directory, relative), Path.GetFileName(pattern))
            .Where(p => !p.EndsWith(".tmp", StringComparison.Ordinal))
            .OrderBy(p => long.TryParse(Path.GetExtension(p).TrimStart('.'), out var n) ? n : 0).ToArray();
        var wanted = pattern.EndsWith(".*", StringComparison.Ordinal) ? 3 : 1;
        Assert.True(matches.Length >= wanted && (wanted > 1 || matches.Length == 1), $"expected {pattern} in {string.Join(", ", Listing())}");
        return matches[matches.Length / 2];
    }

    /// <summary>The newest of the log's files matching <paramref name="pattern"/>.</summary>
    private string LastOf(string pattern) =>
        Directory.GetFiles(Path.Combine(_directory, Path.GetDirectoryName(pattern)!), Path.GetFileName(pattern))
            .MaxBy(p => long.Parse(Path.GetExtension(p).TrimStart('.'), CultureInfo.InvariantCulture))!;

    private List<string> Listing() =>
        [.. Directory.EnumerateFileSystemEntries(_directory, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(_directory, p)).Order(StringComparer.Ordinal)];

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
