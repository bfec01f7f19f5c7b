using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Model;

namespace Outpost.Store.Tests;

/// <summary>
/// docs/lifecycle.md, "Durability": every acknowledged change survives SIGKILL, and no job is handed out twice. A child process
/// (Outpost.Store.CrashWorker) works the lifecycle with four concurrent workers and prints each acknowledgment;
/// the test kills it at a random moment — mid-lifecycle, mid-checkpoint, mid-recovery — then reopens the store
/// and checks every acknowledgment against it. The same directory goes through all the kills in turn.
/// </summary>
public sealed class CrashTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int Kills = 24;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "outpost-crash-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<long, Acked> _acked = [];
    private readonly Dictionary<long, int> _scans = [];
    private readonly HashSet<long> _everClaimed = [];
    /// <summary>The job index's size at the last verification: the runs start it tiny so it grows between kills.</summary>
    private long _jobIndexBuckets;

    private sealed class Acked
    {
        public bool Claimed, Started;
        public long Progress;
        public JobStatus? Finished;
    }

    [Fact]
    public async Task Every_acknowledged_operation_survives_sigkill_at_random_moments()
    {
        var random = new Random(20261121);
        var totalAcks = 0;
        for (var kill = 0; kill < Kills; kill++)
        {
            // One kill in six comes early, often before the child has even finished recovering.
            var early = kill % 6 == 5;
            var lines = await RunAndKillAsync(random.Next(), early ? TimeSpan.FromMilliseconds(random.Next(50, 400)) : null, random.Next(1, 400));
            totalAcks += lines.Count;
            output.WriteLine($"kill {kill}: {lines.Count} lines before SIGKILL");
            Record(lines);
            await VerifyAsync();
        }
        Assert.True(totalAcks > 500, $"the children acknowledged only {totalAcks} operations in {Kills} runs");
        Assert.True(_everClaimed.Count > 100, $"only {_everClaimed.Count} jobs were claimed");
        Assert.True(_jobIndexBuckets > 16, "the job index never grew past its initial 16 buckets");
    }

    private async Task<List<string>> RunAndKillAsync(int seed, TimeSpan? killAfter, int killAfterAcks)
    {
        var worker = Path.Combine(AppContext.BaseDirectory, "Outpost.Store.CrashWorker.dll");
        Assert.True(File.Exists(worker), $"crash worker not built at {worker}");
        var start = new ProcessStartInfo("dotnet", [worker, _directory, seed.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        // Acknowledgments are read on a thread of their own; the test decides when to kill from what it has seen.
        using var lines = new System.Collections.Concurrent.BlockingCollection<string>();
        var reader = new Thread(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line) lines.Add(line);
            lines.CompleteAdding();
        }) { IsBackground = true };
        reader.Start();

        var seen = new List<string>();
        var acks = 0;
        var clock = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(60);
        while (true)
        {
            var wait = killAfter is { } delay ? delay - clock.Elapsed : limit - clock.Elapsed;
            if (wait <= TimeSpan.Zero || !lines.TryTake(out var line, wait)) break;
            seen.Add(line);
            if (!line.StartsWith("READY", StringComparison.Ordinal) && ++acks >= killAfterAcks) break;
        }
        if (lines.IsCompleted && acks < killAfterAcks && killAfter is null)
            Assert.Fail($"the crash worker exited by itself: {await stderr}");
        process.Kill(); // SIGKILL on Linux
        await process.WaitForExitAsync();
        reader.Join();
        // Lines the child printed before it died are acknowledgments too.
        seen.AddRange(lines.GetConsumingEnumerable());
        return seen;
    }

    private void Record(List<string> lines)
    {
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (parts[0] == "READY") continue;
            var id = long.Parse(parts[1], CultureInfo.InvariantCulture);
            if (parts[0] == "SCAN")
            {
                _scans[id] = int.Parse(parts[2], CultureInfo.InvariantCulture);
                continue;
            }
            var job = _acked.TryGetValue(id, out var known) ? known : _acked[id] = new Acked();
            switch (parts[0])
            {
                case "CLAIM":
                    Assert.True(_everClaimed.Add(id), $"job {id} was handed out twice");
                    job.Claimed = true;
                    break;
                case "START": job.Started = true; break;
                case "PROGRESS": job.Progress = Math.Max(job.Progress, long.Parse(parts[2], CultureInfo.InvariantCulture)); break;
                case "COMPLETE": job.Finished = parts[2] == "failed" ? JobStatus.Failed : JobStatus.Completed; break;
                default: Assert.Fail($"unexpected line from the crash worker: {line}"); break;
            }
        }
    }

    private async Task VerifyAsync()
    {
        await using var store = await FasterOutpostStore.OpenAsync(new FasterStoreOptions { DataDirectory = _directory, JobIndexBuckets = 1L << 4, JobMemorySizeBits = 24, BlobIndexBuckets = 1L << 4, BlobMemorySizeBits = 22 }, NullLoggerFactory.Instance);
        _jobIndexBuckets = store.IndexBuckets.Jobs;
        foreach (var (id, expected) in _acked)
        {
            var job = store.GetJob(id);
            Assert.True(job is not null, $"acknowledged job {id} is gone");
            if (expected.Claimed) Assert.NotEqual(JobStatus.Queued, job.Status);
            if (expected.Started) Assert.True(job.Status is JobStatus.Running or JobStatus.Completed or JobStatus.Failed, $"job {id} was started but is {job.Status}");
            Assert.True(job.ProgressCount >= expected.Progress, $"job {id} lost progress: {job.ProgressCount} < {expected.Progress}");
            if (expected.Finished is { } status) Assert.Equal(status, job.Status);
            if (expected.Finished == JobStatus.Failed) Assert.Equal($"probe failed on job {id}", job.ErrorMessage);
        }
        foreach (var (scanId, jobCount) in _scans)
        {
            var scan = store.GetScan(scanId);
            Assert.True(scan is not null, $"acknowledged scan {scanId} is gone");
            Assert.Equal(jobCount, scan.Jobs.Total);
            // Roll-up happens in the commit of the last completion: never a finished scan with live jobs, nor the reverse.
            Assert.Equal(scan.Jobs.Unfinished == 0, scan.Status is ScanStatus.Completed or ScanStatus.Failed);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
