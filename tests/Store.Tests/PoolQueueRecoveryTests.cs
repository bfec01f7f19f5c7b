using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Model;

namespace Outpost.Store.Tests;

/// <summary>
/// The FASTER store keeps a pool's claim queue in memory; after a restart it is rebuilt from the job log (the pool is
/// in the job's spec), so a pool's queued and re-queued jobs still go to any member and to no one else.
/// </summary>
public sealed class PoolQueueRecoveryTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "outpost-poolq-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_pools_queued_and_requeued_jobs_stay_the_pools_across_a_restart()
    {
        long a, b, outsider;
        long requeued;
        await using (var store = await FasterOutpostStore.OpenAsync(TempStore.Options(_directory), NullLoggerFactory.Instance))
        {
            a = (await store.CreateScannerAsync("a", new byte[32], [], null, Now, "dc-frankfurt")).Id;
            b = (await store.CreateScannerAsync("b", [.. Enumerable.Repeat((byte)1, 32)], [], null, Now, "dc-frankfurt")).Id;
            outsider = (await store.CreateScannerAsync("o", [.. Enumerable.Repeat((byte)2, 32)], [], null, Now)).Id;
            var spec = new ScanSpec { Name = "pool", Targets = ["10.82.0.0/23"], Ports = "80", ScannerIds = [], Pools = ["dc-frankfurt"] };
            NewJob Job(string cidr) => new(0, "portscan", [new JobTarget(cidr, "80")], 100, "dc-frankfurt");
            await store.CreateScanAsync(spec, ScanStatus.Running, [Job("10.82.0.0/24"), Job("10.82.1.0/24")], Now);
            requeued = Assert.Single(await store.ClaimAsync(a, 1, null, Now, pool: "dc-frankfurt")).JobId;
            Assert.Equal(new RequeueResult(1, 0), await store.RequeueAsync(a, [requeued], RequeueCause.LeaseLost, 5, Now));
        }

        await using var reopened = await FasterOutpostStore.OpenAsync(TempStore.Options(_directory), NullLoggerFactory.Instance);
        Assert.Equal("dc-frankfurt", reopened.GetScanner(a)!.Pool);
        Assert.Empty(await reopened.ClaimAsync(outsider, 10, null, Now));
        var claimed = await reopened.ClaimAsync(b, 10, null, Now, pool: "dc-frankfurt");
        Assert.Equal(2, claimed.Count);
        Assert.Contains(claimed, j => j.JobId == requeued && j.Attempts == 1);
        Assert.All(claimed, j => Assert.Equal((b, "dc-frankfurt"), (j.ScannerId, j.Pool)));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
