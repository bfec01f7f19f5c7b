using System.Collections.Concurrent;
using System.Security.Cryptography;
using Outpost.Store.Model;

namespace Outpost.Store.Tests.Contract;

/// <summary>
/// The store's contract (IOutpostStore and docs/lifecycle.md), once, for every backend: each subclass opens a fresh, empty store
/// of its kind per test. A test that fails for one backend only is a difference between the two implementations.
/// Concurrency tests release their threads with a <see cref="Barrier"/> and check the union of what they got.
/// </summary>
public abstract partial class StoreContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    protected IOutpostStore Store { get; private set; } = null!;

    protected DateTimeOffset Now { get; set; } = T0;

    /// <summary>A fresh, empty store for one test.</summary>
    protected abstract Task<IOutpostStore> OpenAsync();

    /// <summary>Removes what <see cref="OpenAsync"/> made, after the store is disposed.</summary>
    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => Store = await OpenAsync();

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await CleanUpAsync();
    }

    // ---- Helpers --------------------------------------------------------------------------------------------

    protected async Task<Scanner> ScannerAsync(string name = "s1") =>
        await Store.CreateScannerAsync(name, RandomNumberGenerator.GetBytes(32), [], null, Now);

    protected static NewJob JobFor(Scanner scanner, int i, string name = "portscan") =>
        new(scanner.Id, name, [new JobTarget($"10.77.{i / 256}.{i % 256}", "22,80")], 1000);

    protected async Task<Scan> ScanAsync(int jobCount, bool automated = false, string name = "scan", params Scanner[] scanners)
    {
        var jobs = Enumerable.Range(0, jobCount).Select(i => JobFor(scanners[i % scanners.Length], i)).ToList();
        var spec = new ScanSpec { Name = name, Targets = ["10.77.0.0/16"], Ports = "22,80", ScannerIds = [.. scanners.Select(s => s.Id)], Automated = automated };
        return await Store.CreateScanAsync(spec, ScanStatus.Running, jobs, Now);
    }

    protected async Task<Job> ClaimOneAsync(Scanner scanner, string? ip = "192.0.2.7")
    {
        var claimed = await Store.ClaimAsync(scanner.Id, 1, ip, Now);
        return Assert.Single(claimed);
    }

    /// <summary>Where a job can be, for the transition table.</summary>
    public enum Start
    {
        Queued,
        Claimed,
        ClaimedToldToStop,
        Running,
        RunningToldToStop,
        Completed,
        Failed,
        Cancelled,
    }

    /// <summary>A one-job scan whose job is driven to <paramref name="state"/>; returns the scanner and the job id.</summary>
    protected async Task<(Scanner Scanner, long JobId, long ScanId)> JobInAsync(Start state)
    {
        var scanner = await ScannerAsync();
        var scan = await ScanAsync(2, false, "scan", scanner);
        var jobId = Store.ListScanJobs(scan.Id)[0].JobId;
        switch (state)
        {
            case Start.Queued:
                break;
            case Start.Cancelled:
                await Store.StopScanAsync(scan.Id, Now);
                break;
            default:
                Assert.Equal(jobId, (await ClaimOneAsync(scanner)).JobId);
                if (state is Start.Running or Start.RunningToldToStop or Start.Completed or Start.Failed)
                    Assert.Equal(StoreStatus.Ok, (await Store.StartAsync(scanner.Id, jobId, Now)).Status);
                if (state is Start.ClaimedToldToStop or Start.RunningToldToStop)
                    Assert.Equal(StoreStatus.Ok, (await Store.StopScanAsync(scan.Id, Now)).Status);
                if (state == Start.Completed)
                    Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(scanner.Id, jobId, false, 5, null, Now)).Status);
                if (state == Start.Failed)
                    Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(scanner.Id, jobId, true, 5, "boom", Now)).Status);
                break;
        }
        return (scanner, jobId, scan.Id);
    }

    /// <summary>The state a refusal must leave untouched.</summary>
    protected static object Snapshot(Job job) => (job.Status, job.Attempts, job.ProgressCount, job.ResultCount, job.StopRequested, job.ErrorMessage,
        job.ClaimedAt, job.StartedAt, job.FinishedAt, job.UpdatedAt, job.SourceIp);

    public enum Op
    {
        Start,
        Progress,
        Complete,
        Fail,
    }

    private ValueTask<JobUpdate> DoAsync(Op op, long scannerId, long jobId) => op switch
    {
        Op.Start => Store.StartAsync(scannerId, jobId, Now),
        Op.Progress => Store.ProgressAsync(scannerId, jobId, 10, 1, 0, Now),
        Op.Complete => Store.CompleteAsync(scannerId, jobId, false, 1, null, Now),
        _ => Store.CompleteAsync(scannerId, jobId, true, 1, "scanner error", Now),
    };

    // ---- Transitions (docs/lifecycle.md), table-driven -------------------------------------------------------------

    public static TheoryData<Start, Op, StoreStatus, JobStatus> Transitions => new()
    {
        { Start.Queued, Op.Start, StoreStatus.InvalidTransition, JobStatus.Queued },
        { Start.Queued, Op.Progress, StoreStatus.InvalidTransition, JobStatus.Queued },
        { Start.Queued, Op.Complete, StoreStatus.InvalidTransition, JobStatus.Queued },
        { Start.Queued, Op.Fail, StoreStatus.InvalidTransition, JobStatus.Queued },
        { Start.Claimed, Op.Start, StoreStatus.Ok, JobStatus.Running },
        { Start.Claimed, Op.Progress, StoreStatus.InvalidTransition, JobStatus.Claimed },
        { Start.Claimed, Op.Complete, StoreStatus.InvalidTransition, JobStatus.Claimed },
        { Start.Claimed, Op.Fail, StoreStatus.Ok, JobStatus.Failed },
        { Start.ClaimedToldToStop, Op.Complete, StoreStatus.Ok, JobStatus.Completed },
        { Start.ClaimedToldToStop, Op.Fail, StoreStatus.Ok, JobStatus.Failed },
        { Start.Running, Op.Start, StoreStatus.Ok, JobStatus.Running },
        { Start.Running, Op.Progress, StoreStatus.Ok, JobStatus.Running },
        { Start.Running, Op.Complete, StoreStatus.Ok, JobStatus.Completed },
        { Start.Running, Op.Fail, StoreStatus.Ok, JobStatus.Failed },
        { Start.RunningToldToStop, Op.Progress, StoreStatus.Ok, JobStatus.Running },
        { Start.RunningToldToStop, Op.Complete, StoreStatus.Ok, JobStatus.Completed },
        { Start.Completed, Op.Start, StoreStatus.InvalidTransition, JobStatus.Completed },
        { Start.Completed, Op.Progress, StoreStatus.InvalidTransition, JobStatus.Completed },
        { Start.Completed, Op.Complete, StoreStatus.Ok, JobStatus.Completed },
        { Start.Completed, Op.Fail, StoreStatus.InvalidTransition, JobStatus.Completed },
        { Start.Failed, Op.Start, StoreStatus.InvalidTransition, JobStatus.Failed },
        { Start.Failed, Op.Progress, StoreStatus.InvalidTransition, JobStatus.Failed },
        { Start.Failed, Op.Complete, StoreStatus.InvalidTransition, JobStatus.Failed },
        { Start.Failed, Op.Fail, StoreStatus.Ok, JobStatus.Failed },
        { Start.Cancelled, Op.Start, StoreStatus.InvalidTransition, JobStatus.Cancelled },
        { Start.Cancelled, Op.Progress, StoreStatus.InvalidTransition, JobStatus.Cancelled },
        { Start.Cancelled, Op.Complete, StoreStatus.InvalidTransition, JobStatus.Cancelled },
        { Start.Cancelled, Op.Fail, StoreStatus.InvalidTransition, JobStatus.Cancelled },
    };

    [Theory]
    [MemberData(nameof(Transitions))]
    public async Task Every_transition_answers_as_the_spec_says(Start state, Op op, StoreStatus expected, JobStatus after)
    {
        var (scanner, jobId, _) = await JobInAsync(state);
        var before = Store.GetJob(jobId)!;
        Now = Now.AddSeconds(1);
        var update = await DoAsync(op, scanner.Id, jobId);
        Assert.Equal(expected, update.Status);
        var job = Store.GetJob(jobId)!;
        Assert.Equal(after, job.Status);
        if (expected != StoreStatus.Ok) Assert.Equal(Snapshot(before), Snapshot(job));
        Assert.Equal(state is Start.ClaimedToldToStop or Start.RunningToldToStop, job.StopRequested);
    }

    [Theory]
    [InlineData(Start.Queued)]
    [InlineData(Start.Claimed)]
    [InlineData(Start.Running)]
    [InlineData(Start.Completed)]
    public async Task Another_scanners_job_is_not_owned_and_stays_as_it_was(Start state)
    {
        var (_, jobId, _) = await JobInAsync(state);
        var other = await ScannerAsync("other");
        var before = Snapshot(Store.GetJob(jobId)!);
        foreach (var op in new[] { Op.Start, Op.Progress, Op.Complete, Op.Fail })
            Assert.Equal(StoreStatus.NotOwned, (await DoAsync(op, other.Id, jobId)).Status);
        Assert.Equal(before, Snapshot(Store.GetJob(jobId)!));
    }

    [Fact]
    public async Task An_unknown_job_is_not_found()
    {
        var scanner = await ScannerAsync();
        foreach (var op in new[] { Op.Start, Op.Progress, Op.Complete, Op.Fail })
            Assert.Equal(StoreStatus.NotFound, (await DoAsync(op, scanner.Id, 4242)).Status);
        Assert.Equal(StoreStatus.NotFound, (await Store.RerunAsync(4242, Now)).Status);
        Assert.Null(Store.GetJob(4242));
    }

    [Fact]
    public async Task A_job_records_its_lifecycle_times_source_and_counts_and_progress_never_goes_down()
    {
        var scanner = await ScannerAsync();
        var scan = await ScanAsync(1, false, "scan", scanner);
        var claimed = await ClaimOneAsync(scanner, "::ffff:192.0.2.9");
        Assert.Equal(JobStatus.Claimed, claimed.Status);
        Assert.Equal(scan.Id, claimed.ScanId);
        Assert.Equal("192.0.2.9", claimed.SourceIp);
        Assert.Equal(T0, claimed.ClaimedAt);
        Assert.Equal(new[] { new JobTarget("10.77.0.0", "22,80") }, claimed.Targets);
        Assert.Equal(1000, claimed.MaxProbesPerSecond);
        Now = T0.AddMinutes(1);
        await Store.StartAsync(scanner.Id, claimed.JobId, Now);
        await Store.ProgressAsync(scanner.Id, claimed.JobId, 100, 5, 0, Now);
        await Store.ProgressAsync(scanner.Id, claimed.JobId, 50, 2, 0, Now);
        var job = Store.GetJob(claimed.JobId)!;
        Assert.Equal((100L, 5L), (job.ProgressCount, job.ResultCount));
        Assert.Equal(T0.AddMinutes(1), job.StartedAt);
        await Store.ProgressAsync(scanner.Id, claimed.JobId, 150, 3, 0, Now);
        job = Store.GetJob(claimed.JobId)!;
        Assert.Equal((150L, 5L), (job.ProgressCount, job.ResultCount));
        Now = T0.AddMinutes(2);
        await Store.CompleteAsync(scanner.Id, claimed.JobId, false, 4, null, Now);
        job = Store.GetJob(claimed.JobId)!;
        Assert.Equal(5, job.ResultCount);
        Assert.Equal(T0.AddMinutes(2), job.FinishedAt);
        Assert.Null(job.ErrorMessage);
        var rolled = Store.GetScan(scan.Id)!;
        Assert.Equal(150, rolled.ProgressCount);
        Assert.Equal(5, rolled.ResultCount);
    }

    [Fact]
    public async Task A_failure_keeps_its_first_error_text()
    {
        var (scanner, jobId, _) = await JobInAsync(Start.Running);
        await Store.CompleteAsync(scanner.Id, jobId, true, null, "first", Now);
        await Store.CompleteAsync(scanner.Id, jobId, true, null, "second", Now);
        Assert.Equal("first", Store.GetJob(jobId)!.ErrorMessage);
    }

    // ---- Claims ---------------------------------------------------------------------------------------------

    // Claim order is written three times: the FASTER backend's per-scanner queues (Faster/ScannerQueues.cs, filled in id
    // order, manual before automated), its rebuild at recovery, and PostgreSQL's claim (ORDER BY automated, id in
    // Postgres/PostgresOutpostStore.Lifecycle.cs). These two tests hold them to one rule (docs/lifecycle.md).
    [Fact]
    public async Task Claims_are_fifo_per_scanner_and_only_the_scanners_own_jobs()
    {
        var a = await ScannerAsync("a");
        var b = await ScannerAsync("b");
        var scan = await ScanAsync(10, false, "scan", a, b);
        var ofA = Store.ListScanJobs(scan.Id).Where(j => j.ScannerId == a.Id).Select(j => j.JobId).ToList();
        var first = await Store.ClaimAsync(a.Id, 2, null, Now);
        var rest = await Store.ClaimAsync(a.Id, 10, null, Now);
        Assert.Equal(ofA, first.Concat(rest).Select(j => j.JobId));
        Assert.All(first.Concat(rest), j => Assert.Equal(a.Id, j.ScannerId));
        Assert.Empty(await Store.ClaimAsync(a.Id, 10, null, Now));
        Assert.Empty(await Store.ClaimAsync(a.Id, 0, null, Now));
        Assert.Equal(5, (await Store.ClaimAsync(b.Id, 10, null, Now)).Count);
        Assert.Equal(ofA, Store.ListActiveJobs(a.Id).Select(j => j.JobId));
    }

    [Fact]
    public async Task Manual_jobs_are_claimed_before_automated_ones_and_automated_ones_wait_when_not_allowed()
    {
        var s = await ScannerAsync();
        var automated = await ScanAsync(3, true, "auto", s);
        var manual = await ScanAsync(2, false, "manual", s);
        Assert.Empty(await Store.ClaimAsync(s.Id, 0, null, Now));
        var held = await Store.ClaimAsync(s.Id, 10, null, Now, automatedAllowed: false);
        Assert.Equal(Store.ListScanJobs(manual.Id).Select(j => j.JobId), held.Select(j => j.JobId));
        Assert.Empty(await Store.ClaimAsync(s.Id, 10, null, Now, automatedAllowed: false));

        var manual2 = await ScanAsync(1, false, "manual2", s);
        var mixed = await Store.ClaimAsync(s.Id, 3, null, Now, automatedAllowed: true);
        Assert.Equal(Store.ListScanJobs(manual2.Id).Select(j => j.JobId).Concat(Store.ListScanJobs(automated.Id).Take(2).Select(j => j.JobId)),
            mixed.Select(j => j.JobId));
        Assert.True(mixed[1].Automated);
        Assert.False(mixed[0].Automated);
    }

    [Fact]
    public async Task Threads_released_at_once_on_one_scanner_never_get_a_job_twice_and_lose_none()
    {
        var s = await ScannerAsync();
        var scan = await ScanAsync(300, false, "scan", s);
        var got = await ClaimConcurrentlyAsync(12, _ => s.Id);
        Assert.Equal(Store.ListScanJobs(scan.Id).Select(j => j.JobId).Order(), got.Order());
    }

    [Fact]
    public async Task Threads_released_at_once_on_many_scanners_never_get_a_job_twice_and_lose_none()
    {
        var scanners = new List<Scanner>();
        for (var i = 0; i < 4; i++) scanners.Add(await ScannerAsync("s" + i));
        var scan = await ScanAsync(240, false, "scan", [.. scanners]);
        var got = await ClaimConcurrentlyAsync(12, t => scanners[t % scanners.Count].Id);
        Assert.Equal(Store.ListScanJobs(scan.Id).Select(j => j.JobId).Order(), got.Order());
        Assert.All(Store.ListScanJobs(scan.Id), j => Assert.Equal(JobStatus.Claimed, j.Status));
    }

    /// <summary>
    /// Claims until empty from <paramref name="threads"/> threads released by one barrier (each scanner in <paramref name="pool"/>
    /// when given); returns every id handed out.
    /// </summary>
    private async Task<List<long>> ClaimConcurrentlyAsync(int threads, Func<int, long> scannerOf, string? pool = null)
    {
        using var barrier = new Barrier(threads);
        var got = new ConcurrentQueue<(long JobId, long ScannerId)>();
        var workers = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
        {
            barrier.SignalAndWait();
            while (true)
            {
                var claimed = Store.ClaimAsync(scannerOf(t), 1 + t % 3, null, Now, pool: pool).AsTask().GetAwaiter().GetResult();
                if (claimed.Count == 0) return;
                foreach (var job in claimed) got.Enqueue((job.JobId, scannerOf(t)));
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToList();
        await Task.WhenAll(workers);
        var ids = got.Select(g => g.JobId).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var (jobId, scannerId) in got) Assert.Equal(scannerId, Store.GetJob(jobId)!.ScannerId);
        return ids;
    }

    // ---- Roll-up, stop, rerun ------------------------------------------------------------------------------

    // The scan roll-up is written twice: in C# for FASTER (Faster/ScanEntry.cs TryRollUp, called from Faster/JobFunctions.cs
    // when ScanTally sees the last job finish) and in SQL for PostgreSQL (RollUpWhereIdIs in
    // Postgres/PostgresOutpostStore.Lifecycle.cs). The roll-up tests below are the one statement of the rule.
    [Fact]
    public async Task A_scan_completes_with_its_last_job_and_fails_if_any_job_failed()
    {
        var s = await ScannerAsync();
        var ok = await ScanAsync(2, false, "ok", s);
        var bad = await ScanAsync(2, false, "bad", s);
        var jobs = await Store.ClaimAsync(s.Id, 4, null, Now);
        foreach (var job in jobs) await Store.StartAsync(s.Id, job.JobId, Now);
        await Store.CompleteAsync(s.Id, jobs[0].JobId, false, 1, null, Now);
        Assert.Equal(ScanStatus.Running, Store.GetScan(ok.Id)!.Status);
        Now = T0.AddMinutes(5);
        await Store.CompleteAsync(s.Id, jobs[1].JobId, false, 1, null, Now);
        var done = Store.GetScan(ok.Id)!;
        Assert.Equal(ScanStatus.Completed, done.Status);
        Assert.Equal(Now, done.FinishedAt);
        Assert.Equal(new JobCounts(0, 0, 0, 2, 0, 0), done.Jobs);
        await Store.CompleteAsync(s.Id, jobs[2].JobId, true, 0, "x", Now);
        Assert.Equal(ScanStatus.Running, Store.GetScan(bad.Id)!.Status);
        await Store.CompleteAsync(s.Id, jobs[3].JobId, false, 1, null, Now);
        var failed = Store.GetScan(bad.Id)!;
        Assert.Equal(ScanStatus.Failed, failed.Status);
        Assert.Equal(new JobCounts(0, 0, 0, 1, 1, 0), failed.Jobs);
    }

    [Fact]
    public async Task The_last_jobs_finishing_at_once_roll_the_scan_up_exactly_once()
    {
        var s = await ScannerAsync();
        for (var round = 0; round < 5; round++)
        {
            var scan = await ScanAsync(8, false, "race" + round, s);
            var jobs = await Store.ClaimAsync(s.Id, 8, null, Now);
            foreach (var job in jobs) await Store.StartAsync(s.Id, job.JobId, Now);
            using var barrier = new Barrier(jobs.Count);
            await Task.WhenAll(jobs.Select(job => Task.Factory.StartNew(() =>
            {
                barrier.SignalAndWait();
                Assert.Equal(StoreStatus.Ok, Store.CompleteAsync(s.Id, job.JobId, false, 1, null, Now).AsTask().GetAwaiter().GetResult().Status);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
            var rolled = Store.GetScan(scan.Id)!;
            Assert.Equal(ScanStatus.Completed, rolled.Status);
            Assert.Equal(8, rolled.Jobs.Completed);
        }
    }

    [Fact]
    public async Task Many_workers_finishing_the_last_jobs_of_a_big_scan_at_once_roll_it_up_in_the_last_commit()
    {
        // 520 jobs: the last 40 to finish share stripes in pairs (ids 256 apart, docs/performance.md) and spread over
        // others, so the racing completions both queue behind each other and pass each other.
        var s = await ScannerAsync();
        var last = new HashSet<int>(Enumerable.Range(0, 16).Concat(Enumerable.Range(256, 16)).Concat(Enumerable.Range(500, 8)));
        for (var round = 0; round < 2; round++)
        {
            var scan = await ScanAsync(520, false, "stripes" + round, s);
            var jobs = await Store.ClaimAsync(s.Id, 520, null, Now);
            Assert.Equal(520, jobs.Count);
            for (var i = 0; i < jobs.Count; i++)
            {
                Assert.Equal(StoreStatus.Ok, (await Store.StartAsync(s.Id, jobs[i].JobId, Now)).Status);
                if (!last.Contains(i)) Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(s.Id, jobs[i].JobId, false, 1, null, Now)).Status);
            }
            Assert.Equal(ScanStatus.Running, Store.GetScan(scan.Id)!.Status);
            Now = Now.AddSeconds(1);
            using var barrier = new Barrier(last.Count);
            await Task.WhenAll(last.Select(i => Task.Factory.StartNew(() =>
            {
                barrier.SignalAndWait();
                Assert.Equal(StoreStatus.Ok, Store.CompleteAsync(s.Id, jobs[i].JobId, false, 1, null, Now).AsTask().GetAwaiter().GetResult().Status);
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
            var rolled = Store.GetScan(scan.Id)!;
            Assert.Equal(ScanStatus.Completed, rolled.Status);
            Assert.Equal(Now, rolled.FinishedAt);
            Assert.Equal(520, rolled.Jobs.Completed);
        }
    }

    [Fact]
    public async Task Stopping_cancels_queued_jobs_flags_held_ones_and_stops_when_the_scanners_confirm()
    {
        var s = await ScannerAsync();
        var scan = await ScanAsync(4, false, "scan", s);
        var held = await Store.ClaimAsync(s.Id, 2, null, Now);
        await Store.StartAsync(s.Id, held[1].JobId, Now);
        Now = T0.AddMinutes(1);
        var (status, stopping) = await Store.StopScanAsync(scan.Id, Now);
        Assert.Equal(StoreStatus.Ok, status);
        Assert.Equal(ScanStatus.Stopping, stopping!.Status);
        var jobs = Store.ListScanJobs(scan.Id);
        Assert.Equal(new[] { JobStatus.Claimed, JobStatus.Running, JobStatus.Cancelled, JobStatus.Cancelled }, jobs.Select(j => j.Status));
        Assert.Equal(new[] { true, true, false, false }, jobs.Select(j => j.StopRequested));
        Assert.Empty(await Store.ClaimAsync(s.Id, 10, null, Now));
        Assert.True((await Store.ProgressAsync(s.Id, held[1].JobId, 5, 0, 0, Now)).StopRequested);
        Assert.Equal(StoreStatus.Ok, (await Store.StopScanAsync(scan.Id, Now)).Status);
        Assert.Equal(ScanStatus.Stopping, Store.GetScan(scan.Id)!.Status);

        Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(s.Id, held[0].JobId, false, 0, null, Now)).Status);
        Assert.Equal(ScanStatus.Stopping, Store.GetScan(scan.Id)!.Status);
        Now = T0.AddMinutes(2);
        Assert.Equal(StoreStatus.Ok, (await Store.CompleteAsync(s.Id, held[1].JobId, false, 0, null, Now)).Status);
        var stopped = Store.GetScan(scan.Id)!;
        Assert.Equal(ScanStatus.Stopped, stopped.Status);
        Assert.Equal(Now, stopped.FinishedAt);
        Assert.Equal(StoreStatus.InvalidTransition, (await Store.StopScanAsync(scan.Id, Now)).Status);
        Assert.Equal(StoreStatus.NotFound, (await Store.StopScanAsync(4242, Now)).Status);
    }

    [Fact]
    public async Task Stopping_a_scan_with_only_queued_jobs_or_a_scheduled_scan_stops_it_at_once()
    {
        var s = await ScannerAsync();
        var scan = await ScanAsync(3, false, "scan", s);
        var (_, stopped) = await Store.StopScanAsync(scan.Id, Now);
        Assert.Equal(ScanStatus.Stopped, stopped!.Status);
        Assert.All(Store.ListScanJobs(scan.Id), j => Assert.Equal(JobStatus.Cancelled, j.Status));
        var scheduled = await Store.CreateScanAsync(new ScanSpec { Name = "later", Targets = ["10.0.0.1"], Ports = "22", ScannerIds = [s.Id] }, ScanStatus.Scheduled, [], Now);
        Assert.Equal(ScanStatus.Stopped, (await Store.StopScanAsync(scheduled.Id, Now)).Scan!.Status);
        var completed = await ScanAsync(1, false, "done", s);
        var job = await ClaimOneAsync(s);
        await Store.StartAsync(s.Id, job.JobId, Now);
        await Store.CompleteAsync(s.Id, job.JobId, false, 0, null, Now);
        var before = Store.GetScan(completed.Id)!;
        var (refused, same) = await Store.StopScanAsync(completed.Id, Now.AddMinutes(1));
        Assert.Equal(StoreStatus.InvalidTransition, refused);
        Assert.Equal(ScanStatus.Completed, same!.Status);
        Assert.Equal(before.FinishedAt, Store.GetScan(completed.Id)!.FinishedAt);
    }

    [Fact]
    public async Task A_rerun_creates_a_new_attempt_reopens_the_scan_and_keeps_the_old_job()
    {
        var (s, jobId, scanId) = await JobInAsync(Start.Failed);
        var other = Store.ListScanJobs(scanId)[1];
        await ClaimOneAsync(s);
        await Store.StartAsync(s.Id, other.JobId, Now);
        await Store.CompleteAsync(s.Id, other.JobId, false, 0, null, Now);
        Assert.Equal(ScanStatus.Failed, Store.GetScan(scanId)!.Status);

        Now = T0.AddHours(1);
        var (status, rerun) = await Store.RerunAsync(jobId, Now);
        Assert.Equal(StoreStatus.Ok, status);
        Assert.NotEqual(jobId, rerun!.JobId);
        Assert.Equal(jobId, rerun.RerunOf);
        Assert.Equal((scanId, s.Id, JobStatus.Queued), (rerun.ScanId, rerun.ScannerId, rerun.Status));
        var old = Store.GetJob(jobId)!;
        Assert.Equal(old.Targets, rerun.Targets);
        Assert.Equal(JobStatus.Failed, old.Status);
        Assert.Equal(ScanStatus.Running, Store.GetScan(scanId)!.Status);
        Assert.Null(Store.GetScan(scanId)!.FinishedAt);
        Assert.Equal(StoreStatus.InvalidTransition, (await Store.RerunAsync(rerun.JobId, Now)).Status);

        var claimed = await ClaimOneAsync(s);
        Assert.Equal(rerun.JobId, claimed.JobId);
        Assert.Equal(StoreStatus.InvalidTransition, (await Store.RerunAsync(rerun.JobId, Now)).Status);
        await Store.StartAsync(s.Id, rerun.JobId, Now);
        Assert.Equal(StoreStatus.InvalidTransition, (await Store.RerunAsync(rerun.JobId, Now)).Status);
        await Store.CompleteAsync(s.Id, rerun.JobId, false, 0, null, Now);
        // The failed attempt was superseded: the scan now completes.
        Assert.Equal(ScanStatus.Completed, Store.GetScan(scanId)!.Status);
        Assert.Equal(3, Store.ListScanJobs(scanId).Count);
    }

    // ---- Re-queue after a lease expiry --------------------------------------------------------------------

    [Fact]
    public async Task Requeue_puts_held_jobs_back_with_one_more_attempt_and_fails_them_at_the_limit()
    {
        var s = await ScannerAsync("lost");
        var scan = await ScanAsync(3, false, "scan", s);
        var held = await Store.ClaimAsync(s.Id, 2, null, Now);
        await Store.StartAsync(s.Id, held[1].JobId, Now);
        var result = await Store.RequeueAsync(s.Id, null, RequeueCause.ScannerOffline, 2, Now);
        Assert.Equal(new RequeueResult(2, 0), result);
        foreach (var job in held)
        {
            var now = Store.GetJob(job.JobId)!;
            Assert.Equal((JobStatus.Queued, 1), (now.Status, now.Attempts));
            Assert.Null(now.ClaimedAt);
            Assert.Null(now.StartedAt);
        }
        // A late completion from the old holder is refused.
        Assert.Equal(StoreStatus.InvalidTransition, (await Store.CompleteAsync(s.Id, held[1].JobId, false, 0, null, Now)).Status);
        Assert.Empty(Store.ListActiveJobs(s.Id));

        var again = await Store.ClaimAsync(s.Id, 3, null, Now);
        Assert.Equal(3, again.Count);
        Assert.Equal(new RequeueResult(3, 0), await Store.RequeueAsync(s.Id, null, RequeueCause.ScannerOffline, 2, Now));
        var third = await Store.ClaimAsync(s.Id, 3, null, Now);
        Assert.Equal(3, third.Count);
        var last = await Store.RequeueAsync(s.Id, null, RequeueCause.ScannerOffline, 2, Now);
        Assert.Equal(new RequeueResult(1, 2), last);
        var failed = Store.ListScanJobs(scan.Id).Where(j => j.Status == JobStatus.Failed).ToList();
        Assert.Equal(2, failed.Count);
        Assert.All(failed, j => Assert.Contains("lost", j.ErrorMessage));
        Assert.Equal(new RequeueResult(0, 0), await Store.RequeueAsync(s.Id, null, RequeueCause.ScannerOffline, 2, Now));
    }

    [Fact]
    public async Task Requeue_failing_the_last_jobs_rolls_the_scan_up()
    {
        var s = await ScannerAsync();
        var scan = await ScanAsync(2, false, "scan", s);
        await Store.ClaimAsync(s.Id, 2, null, Now);
        Assert.Equal(new RequeueResult(0, 2), await Store.RequeueAsync(s.Id, null, RequeueCause.ScannerOffline, 0, Now));
        Assert.Equal(ScanStatus.Failed, Store.GetScan(scan.Id)!.Status);
    }

    // ---- Scheduled scans ------------------------------------------------------------------------------------

    [Fact]
    public async Task A_scheduled_scan_waits_for_dispatch_and_can_be_deleted_until_then()
    {
        var s = await ScannerAsync();
        var spec = new ScanSpec { Name = "nightly", Targets = ["10.0.0.0/30"], Ports = "22", ScannerIds = [s.Id], Automated = true, ScheduleId = 7 };
        var scan = await Store.CreateScanAsync(spec, ScanStatus.Scheduled, [], Now);
        Assert.Equal(ScanStatus.Scheduled, scan.Status);
        Assert.Null(scan.StartedAt);
        Assert.Equal(JobCounts.Zero, scan.Jobs);
        Assert.Equal("nightly", Store.GetScan(scan.Id)!.Spec.Name);
        Assert.Equal(7, Store.GetScan(scan.Id)!.Spec.ScheduleId);
        Assert.Equal(StoreStatus.InvalidTransition, (await Store.DispatchScanAsync(scan.Id, [], Now)).Status);
        Now = T0.AddHours(1);
        var (status, running) = await Store.DispatchScanAsync(scan.Id, [JobFor(s, 1), JobFor(s, 2)], Now);
        Assert.Equal(StoreStatus.Ok, status);
        Assert.Equal(ScanStatus.Running, running!.Status);
        Assert.Equal(Now, running.StartedAt);
        Assert.Equal(2, running.Jobs.Queued);
        Assert.All(Store.ListScanJobs(scan.Id), j => Assert.True(j.Automated));
        Assert.Equal(StoreStatus.InvalidTransition, (await Store.DispatchScanAsync(scan.Id, [JobFor(s, 3)], Now)).Status);
        Assert.Equal(2, Store.ListScanJobs(scan.Id).Count);
        Assert.Equal(StoreStatus.InvalidTransition, await Store.DeleteScheduledScanAsync(scan.Id));
        Assert.Equal(StoreStatus.NotFound, (await Store.DispatchScanAsync(4242, [JobFor(s, 3)], Now)).Status);

        var other = await Store.CreateScanAsync(spec, ScanStatus.Scheduled, [], Now);
        Assert.Equal(StoreStatus.Ok, await Store.DeleteScheduledScanAsync(other.Id));
        Assert.Null(Store.GetScan(other.Id));
        Assert.Equal(StoreStatus.NotFound, await Store.DeleteScheduledScanAsync(other.Id));
        Assert.Equal(new[] { scan.Id }, Store.ListScans().Select(x => x.Id));
    }

    [Fact]
    public async Task Scans_are_listed_newest_first_with_their_counts()
    {
        var s = await ScannerAsync();
        var first = await ScanAsync(2, false, "first", s);
        var second = await ScanAsync(3, false, "second", s);
        await Store.ClaimAsync(s.Id, 1, null, Now);
        var scans = Store.ListScans();
        Assert.Equal(new[] { second.Id, first.Id }, scans.Select(x => x.Id));
        Assert.Equal(new JobCounts(1, 1, 0, 0, 0, 0), scans[1].Jobs);
        Assert.Equal(new JobCounts(3, 0, 0, 0, 0, 0), scans[0].Jobs);
        Assert.Equal(T0, scans[0].CreatedAt);
        Assert.Equal(T0, scans[0].StartedAt);
        Assert.Equal(["10.77.0.0/16"], scans[0].Spec.Targets);
    }

    // ---- Scanners, documents, alarms ------------------------------------------------------------------------

    [Fact]
    public async Task Scanners_are_found_by_key_patched_rotated_and_record_heartbeats()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var created = await Store.CreateScannerAsync("edge", key, ["10.0.0.0/8"], 500, Now);
        Assert.Equal(created.Id, Store.FindScannerByKeyHash(key)!.Id);
        Assert.True(created.Enabled);
        Assert.Equal(["10.0.0.0/8"], Store.GetScanner(created.Id)!.AllowedCidrs);
        Assert.Equal(500, Store.GetScanner(created.Id)!.MaxProbesPerSecond);

        var (status, patched) = await Store.UpdateScannerAsync(created.Id, new ScannerPatch(Name: "edge-2", Enabled: false));
        Assert.Equal(StoreStatus.Ok, status);
        Assert.Equal(("edge-2", false, 500), (patched!.Name, patched.Enabled, patched.MaxProbesPerSecond));
        (_, patched) = await Store.UpdateScannerAsync(created.Id, new ScannerPatch(AllowedCidrs: [], ClearMaxProbesPerSecond: true));
        Assert.Empty(patched!.AllowedCidrs);
        Assert.Null(Store.GetScanner(created.Id)!.MaxProbesPerSecond);
        Assert.Equal("edge-2", Store.GetScanner(created.Id)!.Name);

        var newKey = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(StoreStatus.Ok, (await Store.RotateScannerKeyAsync(created.Id, newKey)).Status);
        Assert.Null(Store.FindScannerByKeyHash(key));
        Assert.Equal(created.Id, Store.FindScannerByKeyHash(newKey)!.Id);

        Assert.Equal(StoreStatus.Ok, await Store.RecordHeartbeatAsync(created.Id, Now.AddMinutes(3), "192.0.2.1", "1.2.3"));
        Assert.Equal(StoreStatus.Ok, await Store.RecordHeartbeatAsync(created.Id, Now.AddMinutes(4), null, null));
        var beat = Store.GetScanner(created.Id)!;
        Assert.Equal((Now.AddMinutes(4), "192.0.2.1", "1.2.3"), (beat.LastHeartbeatAt!.Value, beat.SourceIp!, beat.Version!));

        Assert.Equal(StoreStatus.NotFound, await Store.RecordHeartbeatAsync(4242, Now, null, null));
        Assert.Equal(StoreStatus.NotFound, (await Store.UpdateScannerAsync(4242, new ScannerPatch(Name: "x"))).Status);
        Assert.Equal(StoreStatus.NotFound, (await Store.RotateScannerKeyAsync(4242, newKey)).Status);
        Assert.Null(Store.GetScanner(4242));
        var second = await ScannerAsync("second");
        Assert.Equal(new[] { created.Id, second.Id }, Store.ListScanners().Select(x => x.Id));
    }

    [Fact]
    public async Task Documents_are_put_listed_by_key_replaced_and_deleted()
    {
        await Store.PutDocumentAsync("settings", "b", "{\"v\":1}");
        await Store.PutDocumentAsync("settings", "a", "{\"v\":2}");
        await Store.PutDocumentAsync("other", "a", "{}");
        await Store.PutDocumentAsync("settings", "b", "{\"v\":3}");
        Assert.Equal("{\"v\":3}", Store.GetDocument("settings", "b"));
        Assert.Equal(new[] { "a", "b" }, Store.ListDocuments("settings").Select(d => d.Key));
        Assert.True(await Store.DeleteDocumentAsync("settings", "a"));
        Assert.False(await Store.DeleteDocumentAsync("settings", "a"));
        Assert.Null(Store.GetDocument("settings", "a"));
        Assert.Single(Store.ListDocuments("other"));
        Assert.Empty(Store.ListDocuments("none"));
    }

    [Fact]
    public async Task Alarms_are_raised_refreshed_and_cleared_by_kind_and_subject()
    {
        await Store.RaiseAlarmAsync(new Alarm("scan-stuck", "scan:1", "stuck", T0));
        await Store.RaiseAlarmAsync(new Alarm("scanner-offline", "scanner:1", "offline", T0.AddMinutes(1)));
        await Store.RaiseAlarmAsync(new Alarm("scan-stuck", "scan:1", "still stuck", T0.AddMinutes(2)));
        var alarms = Store.ListAlarms();
        Assert.Equal(2, alarms.Count);
        Assert.Equal(new Alarm("scan-stuck", "scan:1", "still stuck", T0.AddMinutes(2)), alarms.Single(a => a.Kind == "scan-stuck"));
        await Store.ClearAlarmAsync("scan-stuck", "scan:1");
        await Store.ClearAlarmAsync("scan-stuck", "scan:404");
        Assert.Equal("scanner-offline", Assert.Single(Store.ListAlarms()).Kind);
    }

    // ---- The Jobs page query --------------------------------------------------------------------------------

    // Two expressions of the Jobs page's rules: FASTER in C# (Faster/FasterOutpostStore.Queries.cs: Matches for the search
    // fields, JobStatus.ShownAs for claimed-as-queued) and PostgreSQL in SQL (Postgres/PostgresOutpostStore.Queries.cs:
    // WindowSql, status IN ('queued', 'claimed')). The cursor (Queries/JobCursor.cs) and the failed-reason grouping
    // (Queries/FailedReasons.cs) are one C# definition both use.
    [Fact]
    public async Task The_jobs_query_filters_the_window_by_status_text_and_failed_reason_with_counts()
    {
        var alpha = await ScannerAsync("alpha");
        var beta = await ScannerAsync("beta");
        var gamma = await ScannerAsync("gamma");
        Now = T0.AddDays(-2);
        await ScanAsync(2, false, "old", gamma);
        Now = T0;
        var spec = new ScanSpec { Name = "now", Targets = ["10.9.0.0/24"], Ports = "22", ScannerIds = [alpha.Id, beta.Id] };
        var scan = await Store.CreateScanAsync(spec, ScanStatus.Running,
        [
            new NewJob(alpha.Id, "web-sweep", [new JobTarget("10.9.0.0/26", "80,443")], 100),
            new NewJob(alpha.Id, "portscan", [new JobTarget("10.9.0.64/26", "22")], 100),
            new NewJob(beta.Id, "portscan", [new JobTarget("10.9.0.128/26", "22")], 100),
            new NewJob(beta.Id, "portscan", [new JobTarget("10.9.0.192/26", "22")], 100),
            new NewJob(beta.Id, "portscan", [new JobTarget("10.9.1.0/26", "22")], 100),
            new NewJob(beta.Id, "portscan", [new JobTarget("10.9.2.0/26", "22")], 100),
        ], Now);
        var ids = Store.ListScanJobs(scan.Id).Select(j => j.JobId).ToArray();
        var a = await Store.ClaimAsync(alpha.Id, 10, "198.51.100.4", Now);
        Assert.Equal(2, a.Count);
        var b = await Store.ClaimAsync(beta.Id, 4, "198.51.100.5", Now);
        foreach (var job in b) await Store.StartAsync(beta.Id, job.JobId, Now);
        await Store.StartAsync(alpha.Id, ids[1], Now);
        await Store.CompleteAsync(alpha.Id, ids[1], false, 1, null, Now);
        await Store.CompleteAsync(beta.Id, ids[2], true, 0, "connect to 10.9.0.130:22 timed out after 3000 ms", Now);
        await Store.CompleteAsync(beta.Id, ids[3], true, 0, "connect to 10.9.0.200:22 timed out after 2500 ms", Now);
        await Store.CompleteAsync(beta.Id, ids[4], true, 0, "interface eth9 is down", Now);

        var window = new JobQuery { Since = T0.AddDays(-1) };
        var all = Store.QueryJobs(window);
        Assert.Equal(ids.Reverse(), all.Jobs.Select(j => j.JobId));
        Assert.Equal(new StatusCounts(1, 1, 1, 3, 0), all.Counts);
        Assert.Equal(new[] { new FailedReason("connect to <ip> timed out after <n> ms", 2), new FailedReason("interface eth<n> is down", 1) }, all.FailedReasons);
        Assert.Null(all.NextCursor);
        Assert.Equal(8, Store.QueryJobs(new JobQuery { Since = T0.AddDays(-3) }).Jobs.Count);

        // Claimed counts and filters as queued, as the UI shows it.
        Assert.Equal(new[] { ids[0] }, Store.QueryJobs(window with { Status = JobStatus.Queued }).Jobs.Select(j => j.JobId));
        Assert.Equal(new[] { ids[5] }, Store.QueryJobs(window with { Status = JobStatus.Running }).Jobs.Select(j => j.JobId));
        Assert.Equal(new[] { ids[4], ids[3], ids[2] }, Store.QueryJobs(window with { Status = JobStatus.Failed }).Jobs.Select(j => j.JobId));
        var byReason = Store.QueryJobs(window with { FailedReason = "connect to <ip> timed out after <n> ms" });
        Assert.Equal(new[] { ids[3], ids[2] }, byReason.Jobs.Select(j => j.JobId));
        Assert.Equal(all.Counts, byReason.Counts);

        long[] Text(string text) => [.. Store.QueryJobs(window with { Text = text }).Jobs.Select(j => j.JobId)];
        Assert.Equal(new[] { ids[0] }, Text("WEB-sweep"));
        Assert.Equal(new[] { ids[0] }, Text("443"));
        Assert.Equal(new[] { ids[2] }, Text("10.9.0.128"));
        Assert.Equal(new[] { ids[1], ids[0] }, Text("alpha"));
        Assert.Equal(new[] { ids[5], ids[4], ids[3], ids[2] }, Text("198.51.100.5"));
        Assert.Equal(new[] { ids[4] }, Text("eth9"));
        Assert.Empty(Text("%"));
        Assert.Empty(Text("no such thing"));
        var counted = Store.QueryJobs(window with { Text = "beta" });
        Assert.Equal(new StatusCounts(0, 1, 0, 3, 0), counted.Counts);
        Assert.Equal(6, Store.QueryJobs(new JobQuery { Since = T0.AddDays(-3), ScanId = scan.Id }).Jobs.Count);
    }

    [Fact]
    public async Task The_jobs_query_pages_newest_first_with_a_cursor()
    {
        var s = await ScannerAsync();
        var scan = await ScanAsync(5, false, "scan", s);
        var ids = Store.ListScanJobs(scan.Id).Select(j => j.JobId).Reverse().ToList();
        var query = new JobQuery { Since = T0.AddHours(-1), Limit = 2 };
        var seen = new List<long>();
        var pages = 0;
        for (string? cursor = null; ; pages++)
        {
            var page = Store.QueryJobs(query with { Cursor = cursor });
            Assert.Equal(new StatusCounts(5, 0, 0, 0, 0), page.Counts);
            seen.AddRange(page.Jobs.Select(j => j.JobId));
            if ((cursor = page.NextCursor) is null) break;
        }
        Assert.Equal(ids, seen);
        Assert.Equal(2, pages);
    }

    // ---- Retention ------------------------------------------------------------------------------------------

    [Fact]
    public async Task Retention_removes_finished_jobs_before_the_cutoff_and_scans_left_empty()
    {
        var s = await ScannerAsync();
        Now = T0.AddDays(-10);
        var old = await ScanAsync(2, false, "old", s);
        var jobs = await Store.ClaimAsync(s.Id, 2, null, Now);
        foreach (var job in jobs)
        {
            await Store.StartAsync(s.Id, job.JobId, Now);
            await Store.CompleteAsync(s.Id, job.JobId, false, 1, null, Now);
        }
        var unfinished = await ScanAsync(2, false, "held", s);
        var heldJob = await ClaimOneAsync(s);
        Now = T0;
        var t = await ScannerAsync("t");
        var fresh = await ScanAsync(1, false, "fresh", t);
        var freshJob = await ClaimOneAsync(t);
        await Store.StartAsync(t.Id, freshJob.JobId, Now);
        await Store.CompleteAsync(t.Id, freshJob.JobId, false, 0, null, Now);

        var removed = await Store.RemoveFinishedBeforeAsync(T0.AddDays(-1));
        Assert.Equal(2, removed);
        Assert.Null(Store.GetScan(old.Id));
        Assert.Null(Store.GetJob(jobs[0].JobId));
        Assert.Equal(2, Store.ListScanJobs(unfinished.Id).Count);
        Assert.Equal(JobStatus.Claimed, Store.GetJob(heldJob.JobId)!.Status);
        Assert.Equal(ScanStatus.Completed, Store.GetScan(fresh.Id)!.Status);
        Assert.Equal(0, await Store.RemoveFinishedBeforeAsync(T0.AddDays(-1)));
    }
}
