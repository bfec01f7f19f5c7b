using Outpost.Store.Model;

namespace Outpost.Store.Tests.LongRun;

/// <summary>docs/store-operations.md, "Quiet when idle": heartbeats change memory, and reach the disk only now and then.</summary>
public class QuietWhenIdleTests
{
    [Fact]
    public async Task Heartbeats_write_the_log_once_per_interval_or_on_a_change_of_address_or_version()
    {
        await using var t = await TempStore.OpenAsync();
        var scanner = await t.ScannerAsync();
        await t.Store.RecordHeartbeatAsync(scanner.Id, t.Now, "192.0.2.1", "1.0");
        var tail = t.Store.WalTail;

        for (var i = 1; i <= 50; i++)
        {
            Assert.Equal(StoreStatus.Ok, await t.Store.RecordHeartbeatAsync(scanner.Id, t.Now.AddSeconds(5 * i), "192.0.2.1", "1.0"));
            Assert.Equal(t.Now.AddSeconds(5 * i), t.Store.GetScanner(scanner.Id)!.LastHeartbeatAt);
        }
        Assert.Equal(tail, t.Store.WalTail);

        await t.Store.RecordHeartbeatAsync(scanner.Id, t.Now.AddMinutes(5), "192.0.2.1", "1.0");
        Assert.True(t.Store.WalTail > tail, "the coarse last-seen time is written after the interval");
        tail = t.Store.WalTail;
        await t.Store.RecordHeartbeatAsync(scanner.Id, t.Now.AddMinutes(5).AddSeconds(5), "192.0.2.1", "1.1");
        Assert.True(t.Store.WalTail > tail, "a new version is written at once");

        await t.ReopenAsync();
        var reopened = t.Store.GetScanner(scanner.Id)!;
        Assert.Equal(("192.0.2.1", "1.1"), (reopened.SourceIp, reopened.Version));
        Assert.True(reopened.LastHeartbeatAt >= t.Now.AddMinutes(5));
    }
}
