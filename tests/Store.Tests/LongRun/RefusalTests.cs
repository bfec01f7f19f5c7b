using Outpost.Store.Model;

namespace Outpost.Store.Tests.LongRun;

/// <summary>Requests the store refuses leave no trace: an oversized job spec, and a completion by someone else.</summary>
public class RefusalTests
{
    [Fact]
    public async Task A_scan_with_a_job_spec_larger_than_a_log_entry_is_refused_before_anything_changes()
    {
        await using var t = await TempStore.OpenAsync();
        var scanner = await t.ScannerAsync();
        var oddPorts = string.Join(',', Enumerable.Range(0, 32_768).Select(i => 2 * i + 1));
        var targets = Enumerable.Range(0, 64).Select(i => new JobTarget($"10.9.0.{2 * i}", oddPorts)).ToList();
        var spec = new ScanSpec { Name = "huge", Targets = ["10.9.0.0/24"], Ports = oddPorts, ScannerIds = [scanner.Id] };

        var error = await Assert.ThrowsAsync<StoreLimitException>(async () =>
            await t.Store.CreateScanAsync(spec, ScanStatus.Running, [new NewJob(scanner.Id, "portscan", [new JobTarget("10.8.0.1", "22")], 10), new NewJob(scanner.Id, "portscan", targets, 10)], t.Now));

        Assert.Contains("over the limit", error.Message, StringComparison.Ordinal);
        Assert.Empty(t.Store.ListScans());
        Assert.Empty(await t.Store.ClaimAsync(scanner.Id, 10, null, t.Now));
        var scan = await t.ScanAsync(3, scanner);
        Assert.Equal(1, t.Store.ListScanJobs(scan.Id)[0].JobId);
        await t.ReopenAsync();
        Assert.Single(t.Store.ListScans());
    }

    [Fact]
    public async Task A_failed_completion_by_a_scanner_that_does_not_hold_the_job_leaves_no_error_text()
    {
        await using var t = await TempStore.OpenAsync();
        var holder = await t.ScannerAsync("holder");
        var other = await t.ScannerAsync("other");
        await t.ScanAsync(1, holder);
        var job = (await t.Store.ClaimAsync(holder.Id, 1, null, t.Now))[0];
        await t.Store.StartAsync(holder.Id, job.JobId, t.Now);

        Assert.Equal(StoreStatus.NotOwned, (await t.Store.CompleteAsync(other.Id, job.JobId, true, 0, "written by someone else", t.Now)).Status);
        Assert.Equal(StoreStatus.Ok, (await t.Store.CompleteAsync(holder.Id, job.JobId, true, 0, null, t.Now)).Status);

        Assert.Null(t.Store.GetJob(job.JobId)!.ErrorMessage);
        await t.ReopenAsync();
        Assert.Null(t.Store.GetJob(job.JobId)!.ErrorMessage);
    }
}
