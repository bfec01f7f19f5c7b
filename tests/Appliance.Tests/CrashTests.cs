using System.Collections.Concurrent;
using System.Globalization;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>
/// docs/lifecycle.md, "Durability" against the real process: <c>kill -9</c> under HTTP load, restart on the same data directory, and every
/// acknowledged change is there, and no job is ever handed out twice (before and after the crash together).
/// </summary>
public sealed class CrashTests
{
    [Fact]
    public async Task Kill_9_under_load_loses_no_acknowledged_change_and_hands_no_job_twice()
    {
        using var directory = new TempDirectory();
        var acked = new Acknowledgments();
        var scanners = new List<(long Id, string Key)>();

        using (var daemon = await DaemonProcess.StartAsync(directory))
        using (var api = new Api(daemon.BaseAddress))
        {
            for (var i = 0; i < 3; i++)
            {
                scanners.Add(await api.CreateScannerAsync("s" + i));
            }

            await api.CreateScanAsync(["10.0.0.0/16"], [.. scanners.Select(s => s.Id)]); // 256 jobs
            using var stop = new CancellationTokenSource();
            var workers = scanners.SelectMany(s => Enumerable.Range(0, 4).Select(_ => Task.Run(() => WorkAsync(api, s.Id, s.Key, acked, stop.Token)))).ToList();
            var admin = Task.Run(() => AdminWorkAsync(api, acked, stop.Token));

            // Kill once enough has been acknowledged, with requests still in flight.
            await acked.Reached(400);
            daemon.KillHard();
            await stop.CancelAsync();
            await Task.WhenAll([.. workers, admin]);
        }

        using (var daemon = await DaemonProcess.StartAsync(directory))
        using (var api = new Api(daemon.BaseAddress))
        {
            foreach (var (jobId, scannerId) in acked.Claimed)
            {
                var job = await api.JobAsync(jobId);
                Assert.Equal(scannerId, job.GetProperty("scannerId").GetInt64());
                Assert.Contains(job.GetProperty("status").GetString(), new[] { "claimed", "running", "completed" });
            }

            foreach (var jobId in acked.Started.Keys)
            {
                Assert.Contains((await api.JobAsync(jobId)).GetProperty("status").GetString(), new[] { "running", "completed" });
            }

            foreach (var (jobId, progress) in acked.Progress)
            {
                Assert.True((await api.JobAsync(jobId)).GetProperty("progressCount").GetInt64() >= progress, $"job {jobId} lost acknowledged progress");
            }

            foreach (var jobId in acked.Completed.Keys)
            {
                Assert.Equal("completed", (await api.JobAsync(jobId)).GetProperty("status").GetString());
            }

            var names = (await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json.GetProperty("scanners").EnumerateArray()
                .Select(s => s.GetProperty("name").GetString()!).ToHashSet();
            Assert.Superset(acked.ScannerNames.Keys.ToHashSet(), names);

            // Drain what is still queued: no job acknowledged before the crash comes back.
            var before = acked.Claimed.Select(c => c.JobId).ToList();
            var after = new List<long>();
            foreach (var (_, key) in scanners)
            {
                long[] jobs;
                while ((jobs = Api.JobIds(await api.ClaimAsync(key, "10"))).Length > 0)
                {
                    after.AddRange(jobs);
                }
            }

            Assert.Empty(before.Intersect(after));
            Assert.Equal(before.Count + after.Count, before.Concat(after).Distinct().Count());
            var counts = (await api.AdminAsync(HttpMethod.Get, "/api/scans/1")).AssertOk().Json.GetProperty("jobCounts");
            Assert.Equal(0, counts.GetProperty("queued").GetInt64());
            Assert.True(before.Count + after.Count <= 256);
        }
    }

    private static async Task WorkAsync(Api api, long scannerId, string key, Acknowledgments acked, CancellationToken ct)
    {
        try
        {
            await acked.WorkAsync(api, scannerId, key, ct: ct);
        }
        catch (HttpRequestException)
        {
            // The daemon was killed under this request: it was never acknowledged.
        }
    }

    private static async Task AdminWorkAsync(Api api, Acknowledgments acked, CancellationToken ct)
    {
        try
        {
            for (var i = 0; !ct.IsCancellationRequested; i++)
            {
                var name = "extra-" + i.ToString(CultureInfo.InvariantCulture);
                await api.CreateScannerAsync(name);
                acked.ScannerNames[name] = true;
                acked.Tick();
            }
        }
        catch (HttpRequestException)
        {
            // Killed mid-request.
        }
    }
}
