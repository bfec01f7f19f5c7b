using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Outpost.Appliance.Hosting;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Testing;

namespace Outpost.Appliance.Tests.ScaleOut;

/// <summary>
/// Several ingest nodes on one PostgreSQL store (issue 9): scanners claim through both nodes at once and no job is
/// handed out twice or lost; <c>kill -9</c> of one node under load loses nothing it acknowledged and the other carries
/// on; leadership of the once-only loops moves when its holder goes; a database outage is a clear 503 and the node
/// recovers by itself. Leadership is polled every second by design, so waiting for it to move is a wait with a
/// deadline, not a sleep.
/// </summary>
[Collection(ScaleOutGroup.Name)]
public sealed partial class ScaleOutTests(SharedPostgres postgres, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Scanners_claiming_through_two_nodes_at_once_get_every_job_exactly_once()
    {
        var database = await postgres.NewDatabaseAsync();
        await using var a = await IngestNode.StartAsync(database);
        await using var b = await IngestNode.StartAsync(database);
        var scanners = new List<(long Id, string Key)>();
        for (var i = 0; i < 3; i++)
        {
            scanners.Add(await (i % 2 == 0 ? a : b).Api.CreateScannerAsync("s" + i));
        }

        var scanId = await b.Api.CreateScanAsync(["10.0.0.0/17"], [.. scanners.Select(s => s.Id)]); // 128 jobs
        const int Threads = 12;
        using var barrier = new Barrier(Threads);
        var got = new ConcurrentQueue<(long JobId, long ScannerId)>();
        var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            var (scannerId, key) = scanners[t % scanners.Count];
            var api = (t / scanners.Count % 2 == 0 ? a : b).Api;
            barrier.SignalAndWait();
            long[] jobs;
            while ((jobs = Api.JobIds(api.ClaimAsync(key, "3").GetAwaiter().GetResult())).Length > 0)
            {
                foreach (var jobId in jobs)
                {
                    got.Enqueue((jobId, scannerId));
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToList();
        await Task.WhenAll(workers);

        var all = a.Store.ListScanJobs(scanId);
        Assert.Equal(128, all.Count);
        var ids = got.Select(g => g.JobId).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(all.Select(j => j.JobId).Order(), ids.Order());
        foreach (var (jobId, scannerId) in got)
        {
            Assert.Equal(scannerId, all.Single(j => j.JobId == jobId).ScannerId);
        }
    }

    [Fact]
    public async Task Leadership_is_held_by_one_node_and_moves_when_it_stops()
    {
        var database = await postgres.NewDatabaseAsync();
        await using var a = await IngestNode.StartAsync(database);
        await EventuallyAsync(() => a.Leadership.IsLeader, "the first node to lead");
        await using var b = await IngestNode.StartAsync(database);
        // b tries the lock every second; after each of a few of its tries, only a leads.
        for (var i = 0; i < 3; i++)
        {
            await b.Leadership.NextCheck.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(a.Leadership.IsLeader);
            Assert.False(b.Leadership.IsLeader);
        }

        var stopped = Stopwatch.StartNew();
        await a.StopAsync();
        await EventuallyAsync(() => b.Leadership.IsLeader, "the second node to take over");
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(5), $"took {stopped.Elapsed}");
        output.WriteLine($"leadership moved {stopped.Elapsed.TotalMilliseconds:0} ms after the leader began to stop");
    }

    [Fact]
    public async Task A_database_outage_is_a_503_store_unavailable_and_the_node_recovers_when_it_is_back()
    {
        // Its own cluster: this test stops the server.
        await using var cluster = new PostgresCluster();
        await cluster.StartAsync();
        await using var node = await IngestNode.StartAsync(cluster.ConnectionString);
        var (scannerId, key) = await node.Api.CreateScannerAsync("s");
        await node.Api.CreateScanAsync(["10.0.0.0/23"], [scannerId]); // 2 jobs
        await EventuallyAsync(() => node.Leadership.IsLeader, "the node to lead");

        await cluster.StopServerAsync();
        (await node.Api.ClaimAsync(key, "1")).AssertError(503, StoreUnavailableMiddleware.Code);
        (await node.Api.AdminAsync(HttpMethod.Get, "/api/scans")).AssertError(503, StoreUnavailableMiddleware.Code);
        await EventuallyAsync(() => !node.Leadership.IsLeader, "the node to step down with its lock's session gone");

        await cluster.StartServerAsync();
        Reply claim;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((claim = await node.Api.ClaimAsync(key, "1")).Code == 503 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        var first = Assert.Single(Api.JobIds(claim));
        var second = Assert.Single(Api.JobIds(await node.Api.ClaimAsync(key, "1")));
        Assert.NotEqual(first, second);
        Assert.Empty(Api.JobIds(await node.Api.ClaimAsync(key, "1")));
        await EventuallyAsync(() => node.Leadership.IsLeader, "the node to lead again");
    }

    [Fact]
    public async Task Kill_9_of_the_leading_node_under_load_loses_nothing_acknowledged_and_the_other_carries_on()
    {
        var database = await postgres.NewDatabaseAsync();
        var environment = new Dictionary<string, string?>
        {
            ["Outpost__Store__Kind"] = "postgres",
            ["Outpost__Store__ConnectionString"] = database,
        };
        using var directoryA = new TempDirectory();
        using var directoryB = new TempDirectory();
        using var a = await DaemonProcess.StartAsync(directoryA, environment: environment);
        await a.WaitForOutputAsync(LeadsLine(), TimeSpan.FromSeconds(20));
        using var b = await DaemonProcess.StartAsync(directoryB, environment: environment);
        using var apiA = new Api(a.BaseAddress);
        using var apiB = new Api(b.BaseAddress);

        var scanners = new List<(long Id, string Key)>();
        for (var i = 0; i < 3; i++)
        {
            scanners.Add(await (i % 2 == 0 ? apiA : apiB).CreateScannerAsync("s" + i));
        }

        var scanId = await apiA.CreateScanAsync(["10.0.0.0/17"], [.. scanners.Select(s => s.Id)]); // 128 jobs
        var acked = new Acks();
        var workers = new List<Task>();
        foreach (var scanner in scanners)
        {
            for (var w = 0; w < 4; w++)
            {
                var api = w % 2 == 0 ? apiA : apiB;
                workers.Add(Task.Run(() => WorkAsync(api, api == apiB, scanner.Id, scanner.Key, acked)));
            }
        }

        await acked.Reached(200);
        a.KillHard();
        acked.Killed = true;
        var killedAt = Stopwatch.StartNew();
        var takeover = await b.WaitForOutputAsync(LeadsLine(), TimeSpan.FromSeconds(20));
        var handover = killedAt.Elapsed;
        await Task.WhenAll(workers);
        Assert.True(acked.CompletedAfterKill > 0, "the surviving node handed out and completed no job after the kill");
        Assert.True(handover < TimeSpan.FromSeconds(10), $"leadership took {handover} to move: {takeover}");
        output.WriteLine($"leadership moved {handover.TotalMilliseconds:0} ms after kill -9; {acked.CompletedAfterKill} jobs completed through the survivor after it");

        foreach (var (jobId, scannerId) in acked.Claimed)
        {
            var job = await apiB.JobAsync(jobId);
            Assert.Equal(scannerId, job.GetProperty("scannerId").GetInt64());
            Assert.Contains(job.GetProperty("status").GetString(), new[] { "claimed", "running", "completed" });
        }

        foreach (var jobId in acked.Started.Keys)
        {
            Assert.Contains((await apiB.JobAsync(jobId)).GetProperty("status").GetString(), new[] { "running", "completed" });
        }

        foreach (var (jobId, progress) in acked.Progress)
        {
            Assert.True((await apiB.JobAsync(jobId)).GetProperty("progressCount").GetInt64() >= progress, $"job {jobId} lost acknowledged progress");
        }

        foreach (var jobId in acked.Completed.Keys)
        {
            Assert.Equal("completed", (await apiB.JobAsync(jobId)).GetProperty("status").GetString());
        }

        // Whatever is still queued comes out through the survivor, and nothing handed out before comes back.
        var before = acked.Claimed.Select(c => c.JobId).ToList();
        var after = new List<long>();
        foreach (var (_, key) in scanners)
        {
            long[] jobs;
            while ((jobs = Api.JobIds(await apiB.ClaimAsync(key, "10"))).Length > 0)
            {
                after.AddRange(jobs);
            }
        }

        Assert.Equal(before.Count, before.Distinct().Count());
        Assert.Empty(before.Intersect(after));
        var counts = (await apiB.AdminAsync(HttpMethod.Get, $"/api/scans/{scanId}")).AssertOk().Json.GetProperty("jobCounts");
        Assert.Equal(0, counts.GetProperty("queued").GetInt64());
        Assert.True(before.Count + after.Count <= 128);
    }

    /// <summary>One scanner worker: claim, start, two progress reports, complete; records each 2xx as it arrives.</summary>
    private static async Task WorkAsync(Api api, bool survivor, long scannerId, string key, Acks acked)
    {
        try
        {
            await acked.WorkAsync(api, scannerId, key, completed: () =>
            {
                if (survivor && acked.Killed)
                {
                    Interlocked.Increment(ref acked.CompletedAfterKill);
                }
            });
        }
        catch (HttpRequestException) when (!survivor)
        {
            // This worker's node was killed under its request: that request was never acknowledged.
        }
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    [GeneratedRegex("Leadership: node .* now leads")]
    private static partial Regex LeadsLine();

    /// <summary>What the nodes acknowledged, and what the survivor did after the kill.</summary>
    private sealed class Acks : Acknowledgments
    {
        public int CompletedAfterKill;

        public volatile bool Killed;
    }
}
