using System.Collections.Concurrent;
using Outpost.Store.Model;

namespace Outpost.Store.Tests;

/// <summary>Many threads released at once by a barrier: no job handed out twice, none lost, FIFO per scanner.</summary>
public class ConcurrencyTests
{
    private const int Threads = 8;

    [Fact]
    public async Task Claimers_of_one_scanner_get_every_job_exactly_once_each_in_fifo_order()
    {
        await using var t = await TempStore.OpenAsync();
        var scanner = await t.ScannerAsync();
        await t.ScanAsync(5_000, scanner);

        var perThread = RunClaimers(Threads, _ => scanner.Id, t);

        var all = perThread.SelectMany(ids => ids).ToList();
        Assert.Equal(5_000, all.Count);
        Assert.Equal(5_000, all.Distinct().Count());
        foreach (var ids in perThread) Assert.Equal(ids.Order(), ids); // each claimer saw increasing ids: FIFO
    }

    [Fact]
    public async Task Claimers_of_many_scanners_get_only_their_own_jobs_each_once()
    {
        await using var t = await TempStore.OpenAsync();
        var scanners = new[] { await t.ScannerAsync("a"), await t.ScannerAsync("b"), await t.ScannerAsync("c"), await t.ScannerAsync("d") };
        await t.ScanAsync(4_000, scanners);
        var claimedBy = new ConcurrentDictionary<long, long>();

        var perThread = RunClaimers(Threads, thread => scanners[thread % scanners.Length].Id, t, (scannerId, job) =>
        {
            Assert.Equal(scannerId, job.ScannerId);
            Assert.True(claimedBy.TryAdd(job.JobId, scannerId), $"job {job.JobId} handed out twice");
        });

        Assert.Equal(4_000, perThread.Sum(ids => ids.Count));
        Assert.Equal(4_000, claimedBy.Count);
    }

    [Fact]
    public async Task Concurrent_completions_roll_the_scan_up_once_in_the_last_ones_commit()
    {
        await using var t = await TempStore.OpenAsync();
        var scanner = await t.ScannerAsync();
        var scan = await t.ScanAsync(2_000, scanner);
        var jobs = new List<Job>();
        while (await t.Store.ClaimAsync(scanner.Id, 10, null, t.Now) is { Count: > 0 } batch) jobs.AddRange(batch);
        foreach (var job in jobs) await t.Store.StartAsync(scanner.Id, job.JobId, t.Now);

        using var barrier = new Barrier(Threads);
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(thread => Task.Run(async () =>
        {
            barrier.SignalAndWait();
            for (var i = thread; i < jobs.Count; i += Threads)
                Assert.Equal(StoreStatus.Ok, (await t.Store.CompleteAsync(scanner.Id, jobs[i].JobId, i == 1234, 1, i == 1234 ? "boom" : null, t.Now)).Status);
        })));

        var done = t.Store.GetScan(scan.Id)!;
        Assert.Equal(ScanStatus.Failed, done.Status);
        Assert.Equal(new JobCounts(0, 0, 0, 1_999, 1, 0), done.Jobs);
        await t.ReopenAsync();
        Assert.Equal(ScanStatus.Failed, t.Store.GetScan(scan.Id)!.Status);
    }

    /// <summary>Each thread waits at the barrier, then claims (1–10 at a time) until its scanner has nothing left.</summary>
    private static List<List<long>> RunClaimers(int threads, Func<int, long> scannerOf, TempStore t, Action<long, Job>? check = null)
    {
        using var barrier = new Barrier(threads);
        var results = new List<long>[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, thread =>
        {
            var random = new Random(thread);
            var scannerId = scannerOf(thread);
            var mine = results[thread] = [];
            barrier.SignalAndWait();
            while (true)
            {
                var batch = t.Store.ClaimAsync(scannerId, random.Next(1, 11), null, t.Now).AsTask().GetAwaiter().GetResult();
                if (batch.Count == 0) break;
                foreach (var job in batch)
                {
                    check?.Invoke(scannerId, job);
                    mine.Add(job.JobId);
                }
            }
        });
        return [.. results];
    }
}
