using Outpost.Store.Model;

namespace Outpost.Store.Tests;

public class RecoveryTests
{
    [Fact]
    public async Task A_store_with_a_million_jobs_recovers_every_job_its_counts_and_its_claim_order()
    {
        await using var t = await TempStore.OpenAsync(jobMemorySizeBits: 29, indexBuckets: 1L << 20);
        var scanner = await t.ScannerAsync();
        var scans = new List<Scan>();
        for (var i = 0; i < 20; i++) scans.Add(await t.ScanAsync(50_000, scanner));

        var claimed = await t.Store.ClaimAsync(scanner.Id, 10, "10.0.0.1", t.Now);
        var more = await t.Store.ClaimAsync(scanner.Id, 10, "10.0.0.1", t.Now);
        foreach (var job in claimed) await t.Store.StartAsync(scanner.Id, job.JobId, t.Now);
        await t.Store.CompleteAsync(scanner.Id, claimed[0].JobId, false, 5, null, t.Now);
        await t.Store.CompleteAsync(scanner.Id, claimed[1].JobId, true, 0, "timed out", t.Now);
        await t.Store.ProgressAsync(scanner.Id, claimed[2].JobId, 77, 7, 7700, t.Now);

        await t.ReopenAsync();

        Assert.Equal(1_000_000, t.Store.Recovery.Jobs);
        Assert.Equal(0, t.Store.Recovery.OrphansDropped);
        var first = t.Store.GetScan(scans[0].Id)!;
        Assert.Equal(new JobCounts(50_000 - 20, 10, 8, 1, 1, 0), first.Jobs);
        Assert.Equal(ScanStatus.Running, first.Status);
        Assert.Equal(50_000, t.Store.GetScan(scans[19].Id)!.Jobs.Queued);
        Assert.Equal("timed out", t.Store.GetJob(claimed[1].JobId)!.ErrorMessage);
        Assert.Equal((77L, 7700L), (t.Store.GetJob(claimed[2].JobId)!.ProgressCount, t.Store.GetJob(claimed[2].JobId)!.Cursor));
        Assert.Equal(JobStatus.Claimed, t.Store.GetJob(more[0].JobId)!.Status);
        // The claim queue comes back in id order: the next claim is the oldest job still queued.
        var next = await t.Store.ClaimAsync(scanner.Id, 1, null, t.Now);
        Assert.Equal(more[^1].JobId + 1, next[0].JobId);
    }
}

public class RecoveryFromDiskTests
{
    /// <summary>
    /// Most records only on disk, several versions of the same jobs in the log (updates after a checkpoint are copied
    /// to the tail) and deletions by retention: recovery sees each job's newest version once, never a retired one.
    /// </summary>
    [Fact]
    public async Task Recovery_reads_only_the_newest_version_of_each_job_and_forgets_retired_ones()
    {
        await using var t = await TempStore.OpenAsync(jobMemorySizeBits: 24);
        var scanner = await t.ScannerAsync();
        var retired = await t.ScanAsync(2_000, scanner);
        var kept = await t.ScanAsync(200_000, scanner);
        await t.ReopenAsync();

        while (t.Store.GetScan(retired.Id)!.Jobs.Queued > 0)
        {
            foreach (var job in await t.Store.ClaimAsync(scanner.Id, 100, null, t.Now))
            {
                await t.Store.StartAsync(scanner.Id, job.JobId, t.Now);
                await t.Store.CompleteAsync(scanner.Id, job.JobId, false, 1, null, t.Now);
            }
        }
        Assert.Equal(ScanStatus.Completed, t.Store.GetScan(retired.Id)!.Status);
        var claimed = await t.Store.ClaimAsync(scanner.Id, 30, null, t.Now);
        Assert.All(claimed, job => Assert.Equal(kept.Id, job.ScanId));
        foreach (var job in claimed.Take(20)) await t.Store.StartAsync(scanner.Id, job.JobId, t.Now);
        Assert.Equal(2_000, await t.Store.RemoveFinishedBeforeAsync(t.Now.AddDays(1)));
        foreach (var job in claimed.Take(10)) await t.Store.CompleteAsync(scanner.Id, job.JobId, false, 3, null, t.Now);
        await t.ReopenAsync();
        await t.Store.ProgressAsync(scanner.Id, claimed[15].JobId, 40, 4, 4000, t.Now);

        await t.CrashAndReopenAsync();
        await t.ReopenAsync();

        Assert.Equal(200_000, t.Store.Recovery.Jobs);
        Assert.Null(t.Store.GetScan(retired.Id));
        Assert.Null(t.Store.GetJob(claimed[0].JobId - 1));
        Assert.Equal(new JobCounts(200_000 - 30, 10, 10, 10, 0, 0), t.Store.GetScan(kept.Id)!.Jobs);
        Assert.Equal(JobStatus.Running, t.Store.GetJob(claimed[15].JobId)!.Status);
        Assert.Equal(40, t.Store.GetJob(claimed[15].JobId)!.ProgressCount);
        var next = await t.Store.ClaimAsync(scanner.Id, 3, null, t.Now);
        Assert.Equal([claimed[^1].JobId + 1, claimed[^1].JobId + 2, claimed[^1].JobId + 3], next.Select(j => j.JobId));
    }
}
