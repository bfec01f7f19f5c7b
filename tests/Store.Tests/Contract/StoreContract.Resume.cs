using Outpost.Store.Model;

namespace Outpost.Store.Tests.Contract;

// The resume cursor and the window pause (docs/lifecycle.md), on both backends: the cursor never goes down, a re-queued
// job keeps it (and its seed) for the next holder, and a paused automated job comes back to the queue with it, no
// attempt spent, while manual jobs are left alone.
public abstract partial class StoreContract
{
    [Fact]
    public async Task The_cursor_keeps_its_highest_value_and_survives_a_requeue_with_the_jobs_seed()
    {
        var s = await ScannerAsync();
        await ScanAsync(1, false, "scan", s);
        var job = await ClaimOneAsync(s);
        Assert.Equal(0, job.Cursor);
        await Store.StartAsync(s.Id, job.JobId, Now);
        Assert.Equal(StoreStatus.Ok, (await Store.ProgressAsync(s.Id, job.JobId, 10, 1, 4000, Now)).Status);
        Assert.Equal(StoreStatus.Ok, (await Store.ProgressAsync(s.Id, job.JobId, 11, 1, 2500, Now)).Status);
        Assert.Equal(4000, Store.GetJob(job.JobId)!.Cursor);
        // A report that raises only the cursor is still recorded.
        Assert.Equal(StoreStatus.Ok, (await Store.ProgressAsync(s.Id, job.JobId, 11, 1, 4500, Now)).Status);
        Assert.Equal((11L, 1L, 4500L), (Store.GetJob(job.JobId)!.ProgressCount, Store.GetJob(job.JobId)!.ResultCount, Store.GetJob(job.JobId)!.Cursor));

        Assert.Equal(new RequeueResult(1, 0), await Store.RequeueAsync(s.Id, null, RequeueCause.ScannerOffline, 3, Now));
        var again = await ClaimOneAsync(s);
        Assert.Equal((job.JobId, 4500L, job.Seed, 1), (again.JobId, again.Cursor, again.Seed, again.Attempts));
        await Store.StartAsync(s.Id, again.JobId, Now);
        Assert.Equal(StoreStatus.Ok, (await Store.ProgressAsync(s.Id, again.JobId, 12, 1, 100, Now)).Status);
        Assert.Equal(4500, Store.GetJob(job.JobId)!.Cursor);
        // The whole range a store keeps (the embedded store packs it into 48 bits).
        Assert.Equal(StoreStatus.Ok, (await Store.ProgressAsync(s.Id, again.JobId, 13, 1, Job.MaxCursor, Now)).Status);
        Assert.Equal(Job.MaxCursor, Store.GetJob(job.JobId)!.Cursor);
    }

    [Fact]
    public async Task Jobs_get_distinct_seeds_and_a_rerun_starts_from_the_beginning()
    {
        var s = await ScannerAsync();
        var scan = await ScanAsync(3, false, "scan", s);
        var jobs = Store.ListScanJobs(scan.Id);
        Assert.Equal(3, jobs.Select(j => j.Seed).Distinct().Count());
        Assert.All(jobs, j => Assert.InRange(j.Seed, 0, (1L << 53) - 1));
        var first = await ClaimOneAsync(s);
        await Store.StartAsync(s.Id, first.JobId, Now);
        await Store.ProgressAsync(s.Id, first.JobId, 5, 0, 77, Now);
        await Store.CompleteAsync(s.Id, first.JobId, true, 0, "boom", Now);
        var (status, rerun) = await Store.RerunAsync(first.JobId, Now);
        Assert.Equal(StoreStatus.Ok, status);
        Assert.Equal(0, rerun!.Cursor);
        Assert.NotEqual(first.Seed, rerun.Seed);
    }

    [Fact]
    public async Task A_pause_tells_held_automated_jobs_to_stop_and_their_completion_requeues_them_without_an_attempt()
    {
        var s = await ScannerAsync();
        var automated = await ScanAsync(3, true, "nightly", s);
        var manual = await ScanAsync(1, false, "by hand", s);
        var manualJob = await ClaimOneAsync(s);
        Assert.Equal(manual.Id, manualJob.ScanId);
        var held = await Store.ClaimAsync(s.Id, 2, null, Now);
        Assert.Equal(2, held.Count);
        await Store.StartAsync(s.Id, held[0].JobId, Now);
        await Store.StartAsync(s.Id, manualJob.JobId, Now);
        await Store.ProgressAsync(s.Id, held[0].JobId, 9, 2, 900, Now);

        Assert.Equal(2, await Store.PauseAutomatedJobsAsync(Now));
        Assert.Equal(0, await Store.PauseAutomatedJobsAsync(Now));
        Assert.True((await Store.ProgressAsync(s.Id, held[0].JobId, 10, 2, 1000, Now)).StopRequested);
        Assert.False((await Store.ProgressAsync(s.Id, manualJob.JobId, 10, 2, 1000, Now)).StopRequested);
        Assert.Equal(new[] { held[0].JobId, held[1].JobId }, Store.ListActiveJobs(s.Id).Where(j => j.StopRequested).Select(j => j.JobId));

        // The running one and the claimed one both come back, cursor kept, attempts unchanged; the scan runs on.
        Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(s.Id, held[0].JobId, false, 4, null, Now)).Status);
        Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(s.Id, held[1].JobId, false, 0, null, Now)).Status);
        foreach (var job in held)
        {
            var now = Store.GetJob(job.JobId)!;
            Assert.Equal((JobStatus.Queued, 0, false), (now.Status, now.Attempts, now.StopRequested));
            Assert.Null(now.StartedAt);
        }
        Assert.Equal(1000, Store.GetJob(held[0].JobId)!.Cursor);
        Assert.Equal(ScanStatus.Running, Store.GetScan(automated.Id)!.Status);
        Assert.Equal(new[] { manualJob.JobId }, Store.ListActiveJobs(s.Id).Select(j => j.JobId));

        // Outside the window they wait; inside, the re-queued ones come first, from their cursor, and are not told to stop.
        Assert.Empty(await Store.ClaimAsync(s.Id, 5, null, Now, automatedAllowed: false));
        var resumed = await Store.ClaimAsync(s.Id, 5, null, Now);
        Assert.Equal(3, resumed.Count);
        Assert.Equal(new[] { held[0].JobId, held[1].JobId }.Order(), resumed.Take(2).Select(j => j.JobId).Order());
        Assert.Equal(1000, resumed.Single(j => j.JobId == held[0].JobId).Cursor);
        Assert.All(resumed, j => Assert.False(j.StopRequested));
    }

    [Fact]
    public async Task A_paused_job_that_fails_fails_and_a_stop_during_a_pause_finishes_the_job()
    {
        var s = await ScannerAsync();
        var scan = await ScanAsync(2, true, "nightly", s);
        var held = await Store.ClaimAsync(s.Id, 2, null, Now);
        foreach (var job in held) await Store.StartAsync(s.Id, job.JobId, Now);
        Assert.Equal(2, await Store.PauseAutomatedJobsAsync(Now));
        Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(s.Id, held[0].JobId, true, 0, "pcap: permission denied", Now)).Status);
        Assert.Equal(JobStatus.Failed, Store.GetJob(held[0].JobId)!.Status);

        Assert.Equal(StoreStatus.Ok, (await Store.StopScanAsync(scan.Id, Now)).Status);
        Assert.True(Store.GetJob(held[1].JobId)!.StopRequested);
        Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(s.Id, held[1].JobId, false, 0, null, Now)).Status);
        Assert.Equal(JobStatus.Completed, Store.GetJob(held[1].JobId)!.Status);
        Assert.Equal(ScanStatus.Stopped, Store.GetScan(scan.Id)!.Status);
    }

    [Fact]
    public async Task A_paused_job_whose_scanner_goes_offline_is_requeued_without_its_stop()
    {
        var s = await ScannerAsync();
        await ScanAsync(1, true, "nightly", s);
        var job = await ClaimOneAsync(s);
        await Store.StartAsync(s.Id, job.JobId, Now);
        await Store.ProgressAsync(s.Id, job.JobId, 1, 0, 64, Now);
        Assert.Equal(1, await Store.PauseAutomatedJobsAsync(Now));
        Assert.Equal(new RequeueResult(1, 0), await Store.RequeueAsync(s.Id, null, RequeueCause.ScannerOffline, 3, Now));
        var again = await ClaimOneAsync(s);
        Assert.Equal((job.JobId, 64L, false, 1), (again.JobId, again.Cursor, again.StopRequested, again.Attempts));
    }
}
