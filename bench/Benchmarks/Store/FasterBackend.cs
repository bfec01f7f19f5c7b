using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Model;

namespace Outpost.Benchmarks.Store;

/// <summary>The embedded FASTER store, in process, on a temp directory.</summary>
internal sealed class FasterBackend(string directory) : ILifecycleBackend
{
    private FasterOutpostStore store = null!;
    private long[] scannerIds = [];

    public async Task PrepareAsync(int workers, int jobsPerWorker)
    {
        store = await FasterOutpostStore.OpenAsync(new FasterStoreOptions { DataDirectory = directory }, NullLoggerFactory.Instance);
        scannerIds = new long[workers];
        for (var w = 0; w < workers; w++)
            scannerIds[w] = (await store.CreateScannerAsync($"bench-{w}", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), [], null, DateTimeOffset.UtcNow)).Id;
        await Preload.CreateJobsAsync(store, scannerIds, jobsPerWorker);
    }

    public async Task<long?> ClaimOneAsync(int worker)
    {
        var jobs = await store.ClaimAsync(scannerIds[worker], 1, "127.0.0.1", DateTimeOffset.UtcNow);
        return jobs.Count == 0 ? null : jobs[0].JobId;
    }

    public async Task StartAsync(int worker, long jobId) => Check(await store.StartAsync(scannerIds[worker], jobId, DateTimeOffset.UtcNow));

    public async Task ProgressAsync(int worker, long jobId, long progress, long results) =>
        Check(await store.ProgressAsync(scannerIds[worker], jobId, progress, results, DateTimeOffset.UtcNow));

    public async Task CompleteAsync(int worker, long jobId) =>
        Check(await store.CompleteAsync(scannerIds[worker], jobId, false, 3, null, DateTimeOffset.UtcNow));

    private static void Check(Outpost.Store.JobUpdate update)
    {
        if (update.Status != StoreStatus.Ok) throw new InvalidOperationException($"lifecycle step refused: {update.Status}");
    }

    public async ValueTask DisposeAsync()
    {
        if (store is not null) await store.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }
}

/// <summary>Creates queued jobs for the load in scans of up to 50 000 jobs.</summary>
internal static class Preload
{
    public static async Task CreateJobsAsync(Outpost.Store.IOutpostStore store, long[] scannerIds, int jobsPerScanner)
    {
        const int PerScan = 50_000;
        var total = (long)jobsPerScanner * scannerIds.Length;
        for (long done = 0; done < total; done += PerScan)
        {
            var count = (int)Math.Min(PerScan, total - done);
            var jobs = new NewJob[count];
            for (var i = 0; i < count; i++)
            {
                var n = done + i;
                jobs[i] = new NewJob(scannerIds[n % scannerIds.Length], "portscan", [new JobTarget($"10.{n >> 16 & 255}.{n >> 8 & 255}.0/24", "22,80,443")], 1000);
            }
            var spec = new ScanSpec { Name = "bench", Targets = ["10.0.0.0/8"], Ports = "22,80,443", ScannerIds = scannerIds };
            await store.CreateScanAsync(spec, ScanStatus.Running, jobs, DateTimeOffset.UtcNow);
        }
    }
}
