using Outpost.Appliance.Alarms;
using Outpost.Appliance.ScannerProtocol;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>Offline scanners, re-queueing after the re-assign timeout, and alarms: driven by the manual clock.</summary>
public sealed class ScannerSupervisionTests
{
    private static readonly HttpMethod Post = HttpMethod.Post;

    [Fact]
    public async Task A_silent_scanner_goes_offline_its_jobs_are_requeued_after_the_reassign_timeout_and_a_late_complete_is_409()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var supervisor = daemon.Service<ScannerSupervisor>();
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.0.0.0/23"], [id]);
        (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { version = "1" })).AssertOk();
        var jobs = Api.JobIds(await api.ClaimAsync(key, "2"));
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/start")).AssertOk();

        // Within the heartbeat timeout: online, no alarm.
        daemon.Clock.Advance(TimeSpan.FromSeconds(89));
        await supervisor.SweepAsync();
        Assert.True((await api.AdminAsync(HttpMethod.Get, $"/api/scanners/{id}")).Json.GetProperty("online").GetBoolean());
        Assert.Empty((await api.AdminAsync(HttpMethod.Get, "/api/alarms")).Json.GetProperty("alarms").EnumerateArray());

        // Past it: offline and alarmed, but its jobs stay with it until the re-assign timeout.
        daemon.Clock.Advance(TimeSpan.FromSeconds(2));
        await supervisor.SweepAsync();
        Assert.False((await api.AdminAsync(HttpMethod.Get, $"/api/scanners/{id}")).Json.GetProperty("online").GetBoolean());
        var alarm = Assert.Single((await api.AdminAsync(HttpMethod.Get, "/api/alarms")).Json.GetProperty("alarms").EnumerateArray());
        Assert.Equal("scanner-offline", alarm.GetProperty("kind").GetString());
        Assert.Equal($"scanner:{id}", alarm.GetProperty("subject").GetString());
        Assert.Equal("running", (await api.JobAsync(jobs[0])).GetProperty("status").GetString());

        daemon.Clock.Advance(TimeSpan.FromMinutes(10));
        await supervisor.SweepAsync();

        foreach (var jobId in jobs)
        {
            var job = await api.JobAsync(jobId);
            Assert.Equal("queued", job.GetProperty("status").GetString());
            Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        }

        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/complete", new { status = "completed" })).AssertError(409, "INVALID_TRANSITION");

        // Back online: the alarm clears, and the re-queued jobs can be claimed again, oldest first.
        (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { })).AssertOk();
        await supervisor.SweepAsync();
        Assert.Empty((await api.AdminAsync(HttpMethod.Get, "/api/alarms")).Json.GetProperty("alarms").EnumerateArray());
        Assert.Equal(jobs, Api.JobIds(await api.ClaimAsync(key, "2")));
    }

    [Fact]
    public async Task Job_activity_keeps_a_scanner_that_skips_heartbeats_from_losing_its_jobs()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var supervisor = daemon.Service<ScannerSupervisor>();
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.0.0.1"], [id]);
        var jobId = Api.JobIds(await api.ClaimAsync(key))[0];
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();

        daemon.Clock.Advance(TimeSpan.FromMinutes(9));
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/progress", new { progressCount = 1, resultCount = 0 })).AssertOk();
        daemon.Clock.Advance(TimeSpan.FromMinutes(9));
        await supervisor.SweepAsync();

        Assert.Equal("running", (await api.JobAsync(jobId)).GetProperty("status").GetString());
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertOk();
    }

    [Fact]
    public async Task A_scanner_never_seen_and_holding_nothing_raises_no_alarm()
    {
        await using var daemon = await Daemon.StartAsync();
        await daemon.Api.CreateScannerAsync("spare");
        daemon.Clock.Advance(TimeSpan.FromHours(1));

        await daemon.Service<ScannerSupervisor>().SweepAsync();

        Assert.Empty((await daemon.Api.AdminAsync(HttpMethod.Get, "/api/alarms")).Json.GetProperty("alarms").EnumerateArray());
    }
}
