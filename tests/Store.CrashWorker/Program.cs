using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Model;

// Usage: Outpost.Store.CrashWorker <data-dir> <seed>   (or: findings <data-dir> <seed>, see FindingsWorker.cs)
// Prints one line per acknowledged operation, only after the store acknowledged it:
//   READY <scannerId> | CLAIM <jobId> | START <jobId> | PROGRESS <jobId> <count> | COMPLETE <jobId> <completed|failed> | SCAN <scanId> <jobs>
if (args[0] == "findings")
{
    await Outpost.Store.CrashWorker.FindingsWorker.RunAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
    return;
}

var directory = args[0];
var random = new Random(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
var options = new FasterStoreOptions
{
    DataDirectory = directory,
    JobMemorySizeBits = 24,
    JobIndexBuckets = 1L << 4,
    BlobMemorySizeBits = 22,
    BlobIndexBuckets = 1L << 4,
    // Tiny indexes, so they grow as the runs add jobs and kills land around growths too (docs/store-operations.md, "Sizing").
    // Checkpoint often, so kills land before, during and after checkpoints.
    CheckpointInterval = TimeSpan.FromMilliseconds(300),
};
var store = await FasterOutpostStore.OpenAsync(options, NullLoggerFactory.Instance);
var output = Console.Out;
var gate = new Lock();
void Report(string line)
{
    lock (gate)
    {
        output.WriteLine(line);
        output.Flush();
    }
}

var existing = store.ListScanners();
var scanner = existing.Count > 0 ? existing[0] : await store.CreateScannerAsync("crash", new byte[32], [], null, DateTimeOffset.UtcNow);
Report($"READY {scanner.Id}");

async Task CreateScanAsync(int jobs)
{
    var newJobs = Enumerable.Range(0, jobs).Select(i => new NewJob(scanner.Id, "portscan", [new JobTarget($"10.77.{i / 250}.{i % 250}", "22")], 100)).ToList();
    var spec = new ScanSpec { Name = "crash", Targets = ["10.77.0.0/16"], Ports = "22", ScannerIds = [scanner.Id] };
    var scan = await store.CreateScanAsync(spec, ScanStatus.Running, newJobs, DateTimeOffset.UtcNow);
    Report($"SCAN {scan.Id} {jobs}");
}

var createLock = new SemaphoreSlim(1);

async Task WorkAsync(int seed)
{
    var rng = new Random(seed);
    while (true)
    {
        var claimed = await store.ClaimAsync(scanner.Id, rng.Next(1, 4), "127.0.0.1", DateTimeOffset.UtcNow);
        if (claimed.Count == 0)
        {
            if (await createLock.WaitAsync(0))
            {
                try { await CreateScanAsync(rng.Next(50, 300)); }
                finally { createLock.Release(); }
            }
            continue;
        }
        foreach (var job in claimed) Report($"CLAIM {job.JobId}");
        foreach (var job in claimed)
        {
            await store.StartAsync(scanner.Id, job.JobId, DateTimeOffset.UtcNow);
            Report($"START {job.JobId}");
            var progress = rng.Next(1, 1000);
            await store.ProgressAsync(scanner.Id, job.JobId, progress, progress / 10, progress, DateTimeOffset.UtcNow);
            Report($"PROGRESS {job.JobId} {progress}");
            var failed = rng.Next(10) == 0;
            await store.CompleteAsync(scanner.Id, job.JobId, failed, progress / 10, failed ? $"probe failed on job {job.JobId}" : null, DateTimeOffset.UtcNow);
            Report($"COMPLETE {job.JobId} {(failed ? "failed" : "completed")}");
        }
    }
}

await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() => WorkAsync(random.Next() + i))));
