using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Model;

namespace Outpost.Store.Tests;

/// <summary>A real FASTER store in a fresh temp directory, reopenable, removed at the end.</summary>
public sealed class TempStore : IAsyncDisposable
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "outpost-store-" + Guid.NewGuid().ToString("N"));
    public FasterOutpostStore Store { get; private set; } = null!;
    public DateTimeOffset Now { get; set; } = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private FasterStoreOptions _options = null!;

    /// <summary>Opens a store sized for tests: small memory and index unless a test needs more.</summary>
    public static async Task<TempStore> OpenAsync(int jobMemorySizeBits = 26, long indexBuckets = 1L << 16)
    {
        var temp = new TempStore();
        temp._options = Options(temp.Directory) with { JobMemorySizeBits = jobMemorySizeBits, JobIndexBuckets = indexBuckets, BlobIndexBuckets = indexBuckets };
        temp.Store = await FasterOutpostStore.OpenAsync(temp._options, NullLoggerFactory.Instance);
        return temp;
    }

    public static FasterStoreOptions Options(string directory) => new()
    {
        DataDirectory = directory,
        JobMemorySizeBits = 26,
        JobIndexBuckets = 1L << 16,
        BlobMemorySizeBits = 24,
        BlobIndexBuckets = 1L << 16,
    };

    /// <summary>Closes the store cleanly and opens it again on the same directory.</summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = await FasterOutpostStore.OpenAsync(_options, NullLoggerFactory.Instance);
    }

    /// <summary>
    /// Closes the store as a crash would (no checkpoint: the next open replays the log), does
    /// <paramref name="whileClosed"/> to its directory, and opens it again.
    /// </summary>
    public async Task CrashAndReopenAsync(Action<string>? whileClosed = null)
    {
        await Store.CloseWithoutCheckpointAsync();
        whileClosed?.Invoke(Directory);
        Store = await FasterOutpostStore.OpenAsync(_options, NullLoggerFactory.Instance);
    }

    public async Task<Scanner> ScannerAsync(string name = "s1") =>
        await Store.CreateScannerAsync(name, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), [], null, Now);

    /// <summary>A running scan with <paramref name="jobCount"/> jobs for each given scanner, round-robin.</summary>
    public async Task<Scan> ScanAsync(int jobCount, params Scanner[] scanners)
    {
        var jobs = Enumerable.Range(0, jobCount)
            .Select(i => new NewJob(scanners[i % scanners.Length].Id, "portscan", [new JobTarget($"10.77.{i / 256}.{i % 256}", "22,80")], 1000))
            .ToList();
        var spec = new ScanSpec { Name = "scan", Targets = ["10.77.0.0/16"], Ports = "22,80", ScannerIds = [.. scanners.Select(s => s.Id)] };
        return await Store.CreateScanAsync(spec, ScanStatus.Running, jobs, Now);
    }

    public async ValueTask DisposeAsync()
    {
        if (Store is not null) await Store.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
