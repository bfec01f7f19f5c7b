using System.Security.Cryptography;
using Outpost.Store.Model;

namespace Outpost.Store.Tests.Contract;

// Pools and leases that heal (docs/lifecycle.md), on both backends: a pool's jobs go to whichever member claims them,
// and a re-queued job goes back to the queue it came from — a pool's to any member, a scanner's to that scanner.
public abstract partial class StoreContract
{
    private const string Frankfurt = "dc-frankfurt";

    protected async Task<Scanner> PoolMemberAsync(string name, string pool = Frankfurt) =>
        await Store.CreateScannerAsync(name, RandomNumberGenerator.GetBytes(32), [], null, Now, pool);

    protected async Task<Scan> PoolScanAsync(int jobCount, string pool = Frankfurt, bool automated = false)
    {
        var jobs = Enumerable.Range(0, jobCount)
            .Select(i => new NewJob(0, "portscan", [new JobTarget($"10.82.{i / 256}.{i % 256}", "22,80")], 1000, pool)).ToList();
        var spec = new ScanSpec { Name = pool, Targets = ["10.82.0.0/16"], Ports = "22,80", ScannerIds = [], Pools = [pool], Automated = automated };
        return await Store.CreateScanAsync(spec, ScanStatus.Running, jobs, Now);
    }

    [Fact]
    public async Task A_scanner_joins_changes_and_leaves_a_pool()
    {
        var a = await PoolMemberAsync("a");
        Assert.Equal(Frankfurt, Store.GetScanner(a.Id)!.Pool);
        var (status, moved) = await Store.UpdateScannerAsync(a.Id, new ScannerPatch(Pool: "dc-paris"));
        Assert.Equal((StoreStatus.Ok, "dc-paris"), (status, moved!.Pool));
        // A patch of another field leaves the pool as it is.
        Assert.Equal("dc-paris", (await Store.UpdateScannerAsync(a.Id, new ScannerPatch(Name: "a2"))).Scanner!.Pool);
        Assert.Null((await Store.UpdateScannerAsync(a.Id, new ScannerPatch(ClearPool: true))).Scanner!.Pool);
        Assert.Null(Store.ListScanners().Single().Pool);
    }

    [Fact]
    public async Task Any_member_claims_a_pools_jobs_and_becomes_their_scanner_and_no_one_else_does()
    {
        var a = await PoolMemberAsync("a");
        var b = await PoolMemberAsync("b");
        var outsider = await ScannerAsync("outsider");
        var scan = await PoolScanAsync(4);
        Assert.All(Store.ListScanJobs(scan.Id), j => Assert.Equal((0L, Frankfurt), (j.ScannerId, j.Pool)));
        Assert.Equal(Frankfurt, Store.GetScan(scan.Id)!.Spec.Pools.Single());

        // Without its pool a member's claim sees only its own queue; an outsider never sees the pool's.
        Assert.Empty(await Store.ClaimAsync(a.Id, 10, null, Now));
        Assert.Empty(await Store.ClaimAsync(outsider.Id, 10, null, Now, pool: "dc-paris"));

        var first = await Store.ClaimAsync(a.Id, 3, null, Now, pool: Frankfurt);
        var rest = await Store.ClaimAsync(b.Id, 10, null, Now, pool: Frankfurt);
        Assert.Equal(Store.ListScanJobs(scan.Id).Select(j => j.JobId), first.Concat(rest).Select(j => j.JobId));
        Assert.All(first, j => Assert.Equal((a.Id, Frankfurt, JobStatus.Claimed), (j.ScannerId, j.Pool, j.Status)));
        Assert.All(rest, j => Assert.Equal(b.Id, j.ScannerId));
        Assert.Equal(first.Select(j => j.JobId), Store.ListActiveJobs(a.Id).Select(j => j.JobId));

        // The holder runs it as its own; the other member may not touch it.
        Assert.Equal(StoreStatus.Ok, (await Store.StartAsync(a.Id, first[0].JobId, Now)).Status);
        Assert.Equal(StoreStatus.NotOwned, (await Store.StartAsync(b.Id, first[1].JobId, Now)).Status);
    }

    [Fact]
    public async Task A_members_own_jobs_come_before_its_pools_manual_before_automated_within_each()
    {
        var a = await PoolMemberAsync("a");
        var poolAutomated = await PoolScanAsync(1, automated: true);
        var poolManual = await PoolScanAsync(1);
        var own = await ScanAsync(1, false, "own", a);
        var order = await Store.ClaimAsync(a.Id, 10, null, Now, pool: Frankfurt);
        Assert.Equal(new[] { own.Id, poolManual.Id, poolAutomated.Id }, order.Select(j => j.ScanId));
    }

    [Fact]
    public async Task Members_claiming_at_once_share_a_pools_jobs_without_a_duplicate()
    {
        var members = new List<Scanner>();
        for (var i = 0; i < 4; i++) members.Add(await PoolMemberAsync("m" + i));
        var scan = await PoolScanAsync(200);
        var got = await ClaimConcurrentlyAsync(8, t => members[t % members.Count].Id, Frankfurt);
        Assert.Equal(Store.ListScanJobs(scan.Id).Select(j => j.JobId).Order(), got.Order());
    }

    [Fact]
    public async Task A_lost_lease_requeues_only_the_jobs_named_and_a_pools_job_goes_to_another_member()
    {
        var a = await PoolMemberAsync("a");
        var b = await PoolMemberAsync("b");
        await PoolScanAsync(2);
        var own = await ScanAsync(1, false, "own", a);
        var held = await Store.ClaimAsync(a.Id, 3, null, Now, pool: Frankfurt);
        Assert.Equal(3, held.Count);
        var ownJob = held.Single(j => j.ScanId == own.Id);
        var pooled = held.Where(j => j.Pool is not null).ToList();
        await Store.StartAsync(a.Id, pooled[1].JobId, Now);

        // a still reports pooled[1]; it lost the claim of pooled[0] and of its own job. A job b holds is not a's to re-queue.
        var result = await Store.RequeueAsync(a.Id, [pooled[0].JobId, ownJob.JobId, 999_999], RequeueCause.LeaseLost, 5, Now);
        Assert.Equal(new RequeueResult(2, 0), result);
        Assert.Equal(pooled[1].JobId, Store.ListActiveJobs(a.Id).Single().JobId);
        var requeued = Store.GetJob(pooled[0].JobId)!;
        Assert.Equal((JobStatus.Queued, 1, Frankfurt), (requeued.Status, requeued.Attempts, requeued.Pool));

        // Late calls from the old holder are refused, so it drops the job.
        Assert.Equal(StoreStatus.InvalidTransition, (await Store.StartAsync(a.Id, pooled[0].JobId, Now)).Status);
        Assert.Equal(StoreStatus.InvalidTransition, (await Store.CompleteAsync(a.Id, ownJob.JobId, false, 0, null, Now)).Status);

        // The pool's job goes to the other member; the job assigned to a goes back to a alone.
        var taken = Assert.Single(await Store.ClaimAsync(b.Id, 10, null, Now, pool: Frankfurt));
        Assert.Equal((pooled[0].JobId, b.Id), (taken.JobId, taken.ScannerId));
        Assert.Equal(StoreStatus.NotOwned, (await Store.CompleteAsync(a.Id, pooled[0].JobId, false, 0, null, Now)).Status);
        Assert.Equal(ownJob.JobId, Assert.Single(await Store.ClaimAsync(a.Id, 10, null, Now, pool: Frankfurt)).JobId);
    }

    [Fact]
    public async Task A_lost_lease_past_the_attempts_fails_the_job_saying_so()
    {
        var a = await PoolMemberAsync("a");
        var scan = await PoolScanAsync(1);
        var job = Assert.Single(await Store.ClaimAsync(a.Id, 1, null, Now, pool: Frankfurt));
        Assert.Equal(new RequeueResult(0, 1), await Store.RequeueAsync(a.Id, [job.JobId], RequeueCause.LeaseLost, 0, Now));
        var failed = Store.GetJob(job.JobId)!;
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Contains("stopped reporting the job", failed.ErrorMessage);
        Assert.Equal(ScanStatus.Failed, Store.GetScan(scan.Id)!.Status);
    }

    [Fact]
    public async Task A_rerun_of_a_pools_job_goes_to_the_pool_again()
    {
        var a = await PoolMemberAsync("a");
        var b = await PoolMemberAsync("b");
        await PoolScanAsync(1);
        var job = Assert.Single(await Store.ClaimAsync(a.Id, 1, null, Now, pool: Frankfurt));
        await Store.CompleteAsync(a.Id, job.JobId, true, 0, "boom", Now);
        var (status, rerun) = await Store.RerunAsync(job.JobId, Now);
        Assert.Equal((StoreStatus.Ok, Frankfurt), (status, rerun!.Pool));
        Assert.Equal(rerun.JobId, Assert.Single(await Store.ClaimAsync(b.Id, 1, null, Now, pool: Frankfurt)).JobId);
    }
}
