using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store;
using Outpost.Store.Faster;
using Outpost.Store.Model;
using Outpost.Store.Postgres;

namespace Outpost.Benchmarks.Store;

/// <summary>One of Outpost's own store backends, in process, driven through the store contract.</summary>
internal sealed class OutpostStoreBackend(Func<Task<IOutpostStore>> open, Action? cleanUp = null) : ILifecycleBackend
{
    private IOutpostStore _store = null!;
    private long[] _scannerIds = [];

    /// <summary>The embedded FASTER store on a temp directory, removed afterwards.</summary>
    public static OutpostStoreBackend Faster(string directory) => new(
        async () => await FasterOutpostStore.OpenAsync(new FasterStoreOptions { DataDirectory = directory }, NullLoggerFactory.Instance),
        () => Directory.Delete(directory, recursive: true));

    /// <summary>The PostgreSQL store of scale-out, on a database of the benchmark's throw-away cluster.</summary>
    public static OutpostStoreBackend Postgres(string connectionString) => new(
        async () => await PostgresOutpostStore.OpenAsync(new PostgresStoreOptions { ConnectionString = connectionString }, NullLoggerFactory.Instance));

    public async Task PrepareAsync(int workers, int jobsPerWorker)
    {
        _store = await open();
        _scannerIds = new long[workers];
        for (var w = 0; w < workers; w++)
            _scannerIds[w] = (await _store.CreateScannerAsync($"bench-{w}", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), [], null, DateTimeOffset.UtcNow)).Id;
        await Preload.CreateJobsAsync(_store, _scannerIds, jobsPerWorker);
    }

    public async Task<long?> ClaimOneAsync(int worker)
    {
        var jobs = await _store.ClaimAsync(_scannerIds[worker], 1, "127.0.0.1", DateTimeOffset.UtcNow);
        return jobs.Count == 0 ? null : jobs[0].JobId;
    }

    public async Task StartAsync(int worker, long jobId) => Check(await _store.StartAsync(_scannerIds[worker], jobId, DateTimeOffset.UtcNow));

    public async Task ProgressAsync(int worker, long jobId, long progress, long results) =>
        Check(await _store.ProgressAsync(_scannerIds[worker], jobId, progress, results, progress, DateTimeOffset.UtcNow));

    public async Task CompleteAsync(int worker, long jobId) =>
        Check(await _store.CompleteAsync(_scannerIds[worker], jobId, false, 3, null, DateTimeOffset.UtcNow));

    private static void Check(Outpost.Store.JobUpdate update)
    {
        if (update.Status != StoreStatus.Ok) throw new InvalidOperationException($"lifecycle step refused: {update.Status}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
        cleanUp?.Invoke();
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
