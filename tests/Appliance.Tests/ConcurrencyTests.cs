using System.Collections.Concurrent;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>Many claimers at once over real HTTP: no job is ever handed out twice, and none is lost.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Concurrent_claims_over_http_never_hand_a_job_twice()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (a, keyA) = await api.CreateScannerAsync("a");
        var (b, keyB) = await api.CreateScannerAsync("b");
        await api.CreateScanAsync(["10.0.0.0/16"], [a, b]); // 256 jobs, 128 each
        var claims = new ConcurrentBag<(long JobId, string Key)>();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // 24 claimers, 12 per scanner, released together by one gate; each claims until its queue is empty.
        var claimers = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            var key = i % 2 == 0 ? keyA : keyB;
            var limit = (1 + (i % 3)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await go.Task;
            while (true)
            {
                var jobs = Api.JobIds(await api.ClaimAsync(key, limit));
                if (jobs.Length == 0)
                {
                    return;
                }

                foreach (var job in jobs)
                {
                    claims.Add((job, key));
                }
            }
        })).ToArray();
        go.SetResult();
        await Task.WhenAll(claimers);

        var all = claims.ToList();
        Assert.Equal(256, all.Count);
        Assert.Equal(256, all.Select(c => c.JobId).Distinct().Count());
        Assert.Equal(128, all.Count(c => c.Key == keyA));
        var counts = (await api.AdminAsync(HttpMethod.Get, "/api/scans/1")).Json.GetProperty("jobCounts");
        Assert.Equal(256, counts.GetProperty("claimed").GetInt64());
        Assert.Equal(0, counts.GetProperty("queued").GetInt64());
    }

    [Fact]
    public async Task A_key_keeps_working_while_its_scanner_record_changes_under_concurrent_heartbeats()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (_, key) = await api.CreateScannerAsync("busy");
        var statuses = new ConcurrentBag<int>();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Each heartbeat rewrites the scanner record; claims and heartbeats authenticate by key meanwhile.
        var callers = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            await go.Task;
            for (var n = 0; n < 250; n++)
            {
                var reply = i % 2 == 0
                    ? await api.ScannerAsync(key, HttpMethod.Post, "/scanner/heartbeat", new { version = "1" })
                    : await api.ClaimAsync(key);
                statuses.Add(reply.Code);
            }
        })).ToArray();
        go.SetResult();
        await Task.WhenAll(callers);

        Assert.All(statuses, status => Assert.Equal(200, status));
    }
}
