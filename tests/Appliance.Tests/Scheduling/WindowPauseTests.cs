using System.Globalization;
using System.Text.Json;
using Outpost.Appliance.Scheduling;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests.Scheduling;

/// <summary>
/// A scan window's end pauses running automated work (docs/lifecycle.md), over real HTTP with the manual clock: the
/// automated job is told to stop through the progress and heartbeat replies, its completion puts it back in the queue
/// with its cursor and without another attempt, and the next window hands it out again from there with the same seed.
/// A manual job running at the same time is not touched.
/// </summary>
public sealed class WindowPauseTests
{
    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly HttpMethod Put = HttpMethod.Put;

    // The daemon's clock starts on Friday 2026-11-20 12:00 UTC; "fri 22:00–06:00" in New York is Sat 03:00–11:00 UTC.
    private static readonly DateTimeOffset Opening = DateTimeOffset.Parse("2026-11-21T03:00:00Z", CultureInfo.InvariantCulture);
    private static readonly DateTimeOffset Closing = DateTimeOffset.Parse("2026-11-21T11:00:00Z", CultureInfo.InvariantCulture);
    private static readonly DateTimeOffset NextOpening = DateTimeOffset.Parse("2026-11-28T03:00:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_windows_end_stops_running_automated_jobs_requeues_them_with_their_cursor_and_the_next_window_resumes_them()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        (await api.AdminAsync(Put, "/api/settings/scan", new
        {
            timeZone = "America/New_York",
            windows = new[] { new { days = new[] { "fri" }, start = "22:00", end = "06:00" } },
        })).AssertOk();
        var (scanner, key) = await api.CreateScannerAsync("s1");
        var at = daemon.Clock.GetUtcNow().AddMinutes(1);
        var scheduled = (await api.AdminAsync(Post, "/api/scans", new
        {
            name = "nightly",
            targets = new[] { "10.80.0.0/24" },
            ports = "22",
            scannerIds = new[] { scanner },
            schedule = new { at },
        })).AssertOk(201).Json.GetProperty("id").GetInt64();
        var scheduler = daemon.Service<ScanScheduler>();
        daemon.Clock.Advance(TimeSpan.FromMinutes(1));
        await scheduler.CycleAsync();

        // Inside the window: the automated job and a manual one run side by side and report their cursors.
        daemon.Clock.Advance(Opening - daemon.Clock.GetUtcNow());
        var automated = Assert.Single(await ClaimAsync(api, key));
        Assert.Equal(scheduled, automated.GetProperty("scanId").GetInt64());
        Assert.Equal(0, automated.GetProperty("resumeFrom").GetInt64());
        var automatedId = automated.GetProperty("jobId").GetInt64();
        var seed = automated.GetProperty("seed").GetInt64();
        var manualScan = await api.CreateScanAsync(["10.80.1.0/24"], [scanner], ports: "22", name: "by hand");
        var manualId = Assert.Single(await ClaimAsync(api, key)).GetProperty("jobId").GetInt64();
        foreach (var id in new[] { automatedId, manualId })
        {
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{id}/start")).AssertOk();
        }

        Assert.False(await ProgressSaysStopAsync(api, key, automatedId, cursor: 120));
        Assert.False(await ProgressSaysStopAsync(api, key, manualId, cursor: 80));
        await scheduler.CycleAsync();
        Assert.False(await ProgressSaysStopAsync(api, key, automatedId, cursor: 130), "inside the window nothing is paused");

        // The window ends: the automated job is told to stop, by progress and heartbeat alike; the manual one is not.
        daemon.Clock.Advance(Closing - daemon.Clock.GetUtcNow());
        await scheduler.CycleAsync();
        Assert.True(await ProgressSaysStopAsync(api, key, automatedId, cursor: 140));
        Assert.False(await ProgressSaysStopAsync(api, key, manualId, cursor: 90));
        var heartbeat = (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { runningJobs = new[] { automatedId, manualId } })).AssertOk().Json;
        Assert.Equal(new[] { automatedId }, heartbeat.GetProperty("stopJobs").EnumerateArray().Select(j => j.GetInt64()));

        // Its completion puts it back in the queue, not counted as an attempt; the scan is still running.
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{automatedId}/complete", new { status = "completed", resultCount = 3 })).AssertOk();
        var requeued = await api.JobAsync(automatedId);
        Assert.Equal("queued", requeued.GetProperty("status").GetString());
        Assert.Equal(0, requeued.GetProperty("attempts").GetInt32());
        Assert.Equal("running", (await api.ScanAsync(scheduled)).GetProperty("status").GetString());
        Assert.Empty(await ClaimAsync(api, key));

        // The manual job finishes as usual, its scan completes.
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{manualId}/complete", new { status = "completed" })).AssertOk();
        Assert.Equal("completed", (await api.ScanAsync(manualScan)).GetProperty("status").GetString());

        // The next window hands it out again, from the cursor its holder reported, in the same order.
        daemon.Clock.Advance(NextOpening - daemon.Clock.GetUtcNow());
        await scheduler.CycleAsync();
        var resumed = Assert.Single(await ClaimAsync(api, key));
        Assert.Equal(automatedId, resumed.GetProperty("jobId").GetInt64());
        Assert.Equal(140, resumed.GetProperty("resumeFrom").GetInt64());
        Assert.Equal(seed, resumed.GetProperty("seed").GetInt64());
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{automatedId}/start")).AssertOk();
        Assert.False(await ProgressSaysStopAsync(api, key, automatedId, cursor: 256), "a resumed job is not told to stop again");
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{automatedId}/complete", new { status = "completed" })).AssertOk();
        Assert.Equal("completed", (await api.ScanAsync(scheduled)).GetProperty("status").GetString());
        Assert.Equal(0, (await api.JobAsync(automatedId)).GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task An_admins_stop_of_a_paused_job_finishes_it_rather_than_requeueing_it()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        (await api.AdminAsync(Put, "/api/settings/scan", new
        {
            timeZone = "America/New_York",
            windows = new[] { new { days = new[] { "fri" }, start = "22:00", end = "06:00" } },
        })).AssertOk();
        var (scanner, key) = await api.CreateScannerAsync("s1");
        var scheduled = (await api.AdminAsync(Post, "/api/scans", new
        {
            name = "nightly",
            targets = new[] { "10.80.0.0/24" },
            ports = "22",
            scannerIds = new[] { scanner },
            schedule = new { at = daemon.Clock.GetUtcNow().AddMinutes(1) },
        })).AssertOk(201).Json.GetProperty("id").GetInt64();
        var scheduler = daemon.Service<ScanScheduler>();
        daemon.Clock.Advance(Opening - daemon.Clock.GetUtcNow());
        await scheduler.CycleAsync();
        var jobId = Assert.Single(await ClaimAsync(api, key)).GetProperty("jobId").GetInt64();
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();

        daemon.Clock.Advance(Closing - daemon.Clock.GetUtcNow());
        await scheduler.CycleAsync();
        (await api.AdminAsync(Post, $"/api/scans/{scheduled}/stop")).AssertOk();
        Assert.True(await ProgressSaysStopAsync(api, key, jobId, cursor: 10));
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertOk();
        Assert.Equal("completed", (await api.JobAsync(jobId)).GetProperty("status").GetString());
        Assert.Equal("stopped", (await api.ScanAsync(scheduled)).GetProperty("status").GetString());
    }

    private static async Task<JsonElement[]> ClaimAsync(Api api, string key) =>
        [.. (await api.ClaimAsync(key, "10")).AssertOk().Json.GetProperty("jobs").EnumerateArray()];

    private static async Task<bool> ProgressSaysStopAsync(Api api, string key, long jobId, long cursor)
    {
        var reply = (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/progress", new { progressCount = cursor, resultCount = 0, cursor })).AssertOk().Json;
        return reply.TryGetProperty("stop", out var stop) && stop.GetBoolean();
    }
}
