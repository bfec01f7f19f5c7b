using Outpost.Store.Model;

namespace Outpost.Store.Tests;

/// <summary>
/// Replay applies the log in lanes that split the jobs by id (docs/store-operations.md, "Restart"): after a crash, jobs
/// of every lane come back with their last change, their spec and error text, and retention's removals stay removed.
/// </summary>
public class ReplayTests
{
    [Fact]
    public async Task A_crash_replays_every_change_of_jobs_on_every_lane()
    {
        await using var t = await TempStore.OpenAsync();
        var scanner = await t.ScannerAsync();
        var early = await t.ScanAsync(10, scanner);
        var claimedEarly = await t.Store.ClaimAsync(scanner.Id, 10, "10.0.0.1", t.Now);
        foreach (var job in claimedEarly)
        {
            await t.Store.StartAsync(scanner.Id, job.JobId, t.Now);
            await t.Store.CompleteAsync(scanner.Id, job.JobId, false, 1, null, t.Now);
        }
        t.Now = t.Now.AddHours(2);
        var removed = await t.Store.RemoveFinishedBeforeAsync(t.Now.AddHours(-1));
        var scan = await t.ScanAsync(1_000, scanner);
        var claimed = await t.Store.ClaimAsync(scanner.Id, 9, "10.0.0.2", t.Now);
        foreach (var job in claimed) await t.Store.StartAsync(scanner.Id, job.JobId, t.Now);
        // Consecutive ids: each lane holds some of them, whatever the core count.
        await t.Store.CompleteAsync(scanner.Id, claimed[0].JobId, false, 3, null, t.Now);
        await t.Store.CompleteAsync(scanner.Id, claimed[1].JobId, true, 0, "host unreachable", t.Now);
        await t.Store.ProgressAsync(scanner.Id, claimed[2].JobId, 40, 4, 4000, t.Now);
        await t.Store.ProgressAsync(scanner.Id, claimed[3].JobId, 50, 5, 5000, t.Now);

        await t.CrashAndReopenAsync();

        Assert.Equal(10, removed);
        Assert.True(t.Store.Recovery.EntriesReplayed > 0, "nothing was replayed: the test did not exercise replay");
        Assert.True(t.Store.Recovery.BytesReplayed > 0);
        Assert.Null(t.Store.GetScan(early.Id));
        Assert.All(claimedEarly, job => Assert.Null(t.Store.GetJob(job.JobId)));
        Assert.Equal(1_000, t.Store.Recovery.Jobs);
        Assert.Equal(new JobCounts(1_000 - 9, 0, 7, 1, 1, 0), t.Store.GetScan(scan.Id)!.Jobs);
        Assert.Equal(JobStatus.Completed, t.Store.GetJob(claimed[0].JobId)!.Status);
        Assert.Equal("host unreachable", t.Store.GetJob(claimed[1].JobId)!.ErrorMessage);
        Assert.Equal((40L, 4000L), (t.Store.GetJob(claimed[2].JobId)!.ProgressCount, t.Store.GetJob(claimed[2].JobId)!.Cursor));
        Assert.Equal((50L, 5000L), (t.Store.GetJob(claimed[3].JobId)!.ProgressCount, t.Store.GetJob(claimed[3].JobId)!.Cursor));
        Assert.All(claimed.Skip(4), job => Assert.Equal(JobStatus.Running, t.Store.GetJob(job.JobId)!.Status));
        var next = await t.Store.ClaimAsync(scanner.Id, 1, null, t.Now);
        Assert.Equal(claimed[^1].JobId + 1, next[0].JobId);
        Assert.Equal(new JobTarget("10.77.0.9", "22,80"), Assert.Single(next[0].Targets));
    }
}
