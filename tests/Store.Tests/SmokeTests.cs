using Outpost.Store.Model;

namespace Outpost.Store.Tests;

public class SmokeTests
{
    [Fact]
    public async Task A_job_goes_through_its_lifecycle_and_survives_a_reopen()
    {
        await using var t = await TempStore.OpenAsync();
        var scanner = await t.ScannerAsync();
        var scan = await t.ScanAsync(3, scanner);
        var claimed = await t.Store.ClaimAsync(scanner.Id, 2, "127.0.0.9", t.Now);
        Assert.Equal(2, claimed.Count);
        Assert.True(claimed[0].JobId < claimed[1].JobId);
        Assert.Equal(StoreStatus.Ok, (await t.Store.StartAsync(scanner.Id, claimed[0].JobId, t.Now)).Status);
        Assert.Equal(StoreStatus.Ok, (await t.Store.ProgressAsync(scanner.Id, claimed[0].JobId, 10, 2, 0, t.Now)).Status);
        Assert.Equal(StoreStatus.Ok, (await t.Store.CompleteAsync(scanner.Id, claimed[0].JobId, false, 2, null, t.Now)).Status);
        await t.ReopenAsync();
        var job = t.Store.GetJob(claimed[0].JobId)!;
        Assert.Equal(JobStatus.Completed, job.Status);
        Assert.Equal(10, job.ProgressCount);
        Assert.Equal("127.0.0.9", job.SourceIp);
        Assert.Equal(JobStatus.Claimed, t.Store.GetJob(claimed[1].JobId)!.Status);
        var next = await t.Store.ClaimAsync(scanner.Id, 5, null, t.Now);
        Assert.Single(next);
        Assert.Equal(scan.Id, next[0].ScanId);
    }
}
