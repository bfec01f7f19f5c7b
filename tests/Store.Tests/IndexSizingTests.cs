using Microsoft.Extensions.Logging.Abstractions;
using Outpost.Store.Faster;
using Outpost.Store.Model;

namespace Outpost.Store.Tests;

/// <summary>
/// docs/store-operations.md, "Sizing": a store opens with the index size its checkpoint has, whatever the configuration
/// says now; a larger configured size grows it at open; the checkpointer doubles an index its live jobs outgrow.
/// </summary>
public sealed class IndexSizingTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "outpost-sizing-" + Guid.NewGuid().ToString("N"));
    private readonly DateTimeOffset _now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private FasterOutpostStore? _store;

    [Fact]
    public async Task A_store_keeps_its_index_size_when_the_configuration_says_smaller_after_a_clean_close_and_after_a_crash()
    {
        var store = await OpenAsync(jobBuckets: 1L << 12, blobBuckets: 1L << 13);
        var scannerId = await CreateJobsAsync(store, 300);

        store = await ReopenAsync(jobBuckets: 1L << 8, blobBuckets: 1L << 8);
        Assert.Equal((1L << 12, 1L << 13), store.IndexBuckets);
        AssertJobsPresent(store, 300);
        await store.ClaimAsync(scannerId, 10, null, _now);

        store = await CrashAndReopenAsync(jobBuckets: 1L << 6, blobBuckets: 1L << 6);
        Assert.Equal((1L << 12, 1L << 13), store.IndexBuckets);
        AssertJobsPresent(store, 300);
        Assert.Equal(10, store.ListActiveJobs(scannerId).Count);
    }

    [Fact]
    public async Task A_store_created_with_the_old_default_sizes_keeps_them_under_the_new_defaults()
    {
        var store = await OpenAsync(jobBuckets: 1L << 21, blobBuckets: 1L << 19);
        await CreateJobsAsync(store, 50);

        var defaults = new FasterStoreOptions { DataDirectory = _directory };
        store = await ReopenAsync(defaults.JobIndexBuckets, defaults.BlobIndexBuckets);
        Assert.Equal((1L << 21, 1L << 19), store.IndexBuckets);
        AssertJobsPresent(store, 50);
        // Writing the 160 MiB of indexes once more at the end would only slow the test.
        await store.CloseWithoutCheckpointAsync();
        _store = null;
    }

    [Fact]
    public async Task A_larger_configured_size_grows_the_index_at_open_and_a_crash_before_its_checkpoint_restores_the_previous_size()
    {
        var store = await OpenAsync(jobBuckets: 1L << 6, blobBuckets: 1L << 6);
        await CreateJobsAsync(store, 100);

        store = await ReopenAsync(jobBuckets: 1L << 10, blobBuckets: 1L << 11);
        Assert.Equal((1L << 10, 1L << 11), store.IndexBuckets);
        AssertJobsPresent(store, 100);

        // No checkpoint was written since the growth: the store restores the index checkpoint it has, at its size.
        store = await CrashAndReopenAsync(jobBuckets: 1L << 4, blobBuckets: 1L << 4);
        Assert.Equal((1L << 6, 1L << 6), store.IndexBuckets);
        AssertJobsPresent(store, 100);
    }

    [Fact]
    public async Task The_checkpointer_doubles_an_index_its_live_jobs_outgrow_and_the_grown_size_survives_a_crash()
    {
        var store = await OpenAsync(jobBuckets: 16, blobBuckets: 16);
        var scannerId = await CreateJobsAsync(store, 1_000);
        Assert.Equal((16L, 16L), store.IndexBuckets);

        Assert.True(await store.MaintainAsync(CancellationToken.None));
        // 1 000 jobs at most 8 a bucket: 128 buckets; their 2 000 blobs (spec and address ranges) at most 16 a bucket: 128.
        Assert.Equal((128L, 128L), store.IndexBuckets);

        // The round checkpointed the grown index: a crash right after it restores that size.
        store = await CrashAndReopenAsync(jobBuckets: 16, blobBuckets: 16);
        Assert.Equal((128L, 128L), store.IndexBuckets);
        AssertJobsPresent(store, 1_000);
        Assert.Equal(1_000, await ClaimAllAsync(store, scannerId));
    }

    [Fact]
    public async Task A_store_killed_before_the_checkpointer_grew_its_indexes_grows_them_when_it_reopens()
    {
        var store = await OpenAsync(jobBuckets: 16, blobBuckets: 16);
        var scannerId = await CreateJobsAsync(store, 1_000);

        store = await CrashAndReopenAsync(jobBuckets: 16, blobBuckets: 16);
        Assert.Equal((128L, 128L), store.IndexBuckets);
        AssertJobsPresent(store, 1_000);
        Assert.Equal(1_000, await ClaimAllAsync(store, scannerId));
    }

    [Fact]
    public async Task Claims_running_while_the_index_grows_get_every_job_exactly_once()
    {
        const int Jobs = 1_500;
        var store = await OpenAsync(jobBuckets: 16, blobBuckets: 16);
        var scannerId = await CreateJobsAsync(store, Jobs);
        var claimedOne = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var claimers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var ids = new List<long>();
            while (await store.ClaimAsync(scannerId, 5, null, _now) is { Count: > 0 } batch)
            {
                claimedOne.TrySetResult();
                foreach (var job in batch)
                {
                    Assert.Equal(StoreStatus.Ok, (await store.StartAsync(scannerId, job.JobId, _now)).Status);
                    Assert.Equal(StoreStatus.Ok, (await store.CompleteAsync(scannerId, job.JobId, false, 1, null, _now)).Status);
                    ids.Add(job.JobId);
                }
            }
            return ids;
        })).ToList();

        await claimedOne.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await store.MaintainAsync(CancellationToken.None));
        var claimed = (await Task.WhenAll(claimers)).SelectMany(ids => ids).ToList();

        Assert.True(store.IndexBuckets.Jobs > 16, $"the job index did not grow: {store.IndexBuckets.Jobs} buckets");
        Assert.Equal(Jobs, claimed.Count);
        Assert.Equal(Jobs, claimed.Distinct().Count());
        for (var jobId = 1L; jobId <= Jobs; jobId++) Assert.Equal(JobStatus.Completed, store.GetJob(jobId)?.Status);
    }

    private async Task<FasterOutpostStore> OpenAsync(long jobBuckets, long blobBuckets)
    {
        var options = TempStore.Options(_directory) with { JobIndexBuckets = jobBuckets, BlobIndexBuckets = blobBuckets };
        return _store = await FasterOutpostStore.OpenAsync(options, NullLoggerFactory.Instance);
    }

    private async Task<FasterOutpostStore> ReopenAsync(long jobBuckets, long blobBuckets)
    {
        await _store!.DisposeAsync();
        return await OpenAsync(jobBuckets, blobBuckets);
    }

    /// <summary>Closes the store as a crash would: nothing is written after the last checkpoint.</summary>
    private async Task<FasterOutpostStore> CrashAndReopenAsync(long jobBuckets, long blobBuckets)
    {
        await _store!.CloseWithoutCheckpointAsync();
        return await OpenAsync(jobBuckets, blobBuckets);
    }

    /// <summary>A scanner and a running scan of <paramref name="count"/> jobs, ids 1 to count in a new store; job i scans 10.77.x.y for i - 1.</summary>
    private async Task<long> CreateJobsAsync(FasterOutpostStore store, int count)
    {
        var scanner = await store.CreateScannerAsync("s1", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), [], null, _now);
        var jobs = Enumerable.Range(0, count).Select(i => new NewJob(scanner.Id, "portscan", [new JobTarget(Address(i), "22")], 100)).ToList();
        var spec = new ScanSpec { Name = "sizing", Targets = ["10.77.0.0/16"], Ports = "22", ScannerIds = [scanner.Id] };
        await store.CreateScanAsync(spec, ScanStatus.Running, jobs, _now);
        return scanner.Id;
    }

    private static string Address(int i) => $"10.77.{i / 256}.{i % 256}";

    private static void AssertJobsPresent(FasterOutpostStore store, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var job = store.GetJob(i + 1);
            Assert.True(job is not null, $"job {i + 1} is gone");
            Assert.Equal(Address(i), job.Targets[0].Cidr);
        }
    }

    private async Task<int> ClaimAllAsync(FasterOutpostStore store, long scannerId)
    {
        var claimed = 0;
        while (await store.ClaimAsync(scannerId, 100, null, _now) is { Count: > 0 } batch) claimed += batch.Count;
        return claimed;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>xunit 2 calls this (not <see cref="IAsyncDisposable"/>): the store closed, its directory removed.</summary>
    public async Task DisposeAsync()
    {
        try
        {
            if (_store is not null) await _store.DisposeAsync();
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
