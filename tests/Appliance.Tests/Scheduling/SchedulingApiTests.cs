using System.Text.Json;
using Outpost.Appliance.Admin;
using Outpost.Appliance.Alarms;
using Outpost.Appliance.ScannerProtocol;
using Outpost.Appliance.Scheduling;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Store;
using Outpost.Store.Model;

namespace Outpost.Appliance.Tests.Scheduling;

/// <summary>
/// Scheduling over real HTTP with the manual clock: scan windows gate automated claims, recurring runs and skips,
/// pause across restarts, limits applied at dispatch, stop, re-assignment with its attempt limit, retention. Tests run
/// the scheduler's cycle themselves after moving the clock (its timer is real; a cycle is idempotent for a given time).
/// </summary>
public sealed class SchedulingApiTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly HttpMethod Put = HttpMethod.Put;
    private static readonly HttpMethod Delete = HttpMethod.Delete;

    private static async Task<JsonElement> CreateAsync(Api api, object body) =>
        (await api.AdminAsync(Post, "/api/scans", body)).AssertOk(201).Json;

    private static object Scan(long scanner, object? schedule = null, string targets = "10.0.0.1", string name = "scan") =>
        new { name, targets = new[] { targets }, ports = "22", scannerIds = new[] { scanner }, schedule };

    private static async Task<JsonElement[]> ScansAsync(Api api) =>
        [.. (await api.AdminAsync(Get, "/api/scans")).AssertOk().Json.GetProperty("scans").EnumerateArray()];

    private static async Task HeartbeatAsync(Api api, string key) => (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { })).AssertOk();

    private static async Task<JsonElement[]> ClaimedAsync(Api api, string key) =>
        [.. (await api.ClaimAsync(key, "10")).AssertOk().Json.GetProperty("jobs").EnumerateArray()];

    /// <summary>Claims what the scanner has queued and completes the jobs of <paramref name="scanId"/> (others stay claimed).</summary>
    private static async Task CompleteAllAsync(Api api, string key, long scanId)
    {
        var jobs = await ClaimedAsync(api, key);
        Assert.Contains(jobs, j => j.GetProperty("scanId").GetInt64() == scanId);
        foreach (var job in jobs.Where(j => j.GetProperty("scanId").GetInt64() == scanId))
        {
            var id = job.GetProperty("jobId").GetInt64();
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{id}/start")).AssertOk();
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{id}/complete", new { status = "completed" })).AssertOk();
        }
    }

    [Fact]
    public async Task Outside_the_scan_windows_automated_jobs_wait_while_manual_scans_run_at_once()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        // Friday 2026-11-20 12:00 UTC is 07:00 in New York: outside "fri 22:00–06:00".
        (await api.AdminAsync(Put, "/api/settings/scan", new
        {
            timeZone = "America/New_York",
            windows = new[] { new { days = new[] { "fri" }, start = "22:00", end = "06:00" } },
        })).AssertOk();
        var (scanner, key) = await api.CreateScannerAsync("s1");
        var at = daemon.Clock.GetUtcNow().AddMinutes(1);
        var scheduled = (await CreateAsync(api, Scan(scanner, new { at }, name: "later"))).GetProperty("id").GetInt64();
        var manual = await api.CreateScanAsync(["10.0.1.1"], [scanner], name: "now");

        daemon.Clock.Advance(TimeSpan.FromMinutes(1));
        await daemon.Service<ScanScheduler>().CycleAsync();
        Assert.Equal("running", (await api.ScanAsync(scheduled)).GetProperty("status").GetString());
        var claimed = Assert.Single(await ClaimedAsync(api, key));
        Assert.Equal(manual, claimed.GetProperty("scanId").GetInt64());
        Assert.Empty(await ClaimedAsync(api, key));

        // The countdown points at the window's opening: 22:00 New York is 03:00 UTC.
        var opening = DateTimeOffset.Parse("2026-11-21T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(opening, (await api.AdminAsync(Get, "/api/scheduler")).AssertOk().Json.GetProperty("nextCycleAt").GetDateTimeOffset());

        daemon.Clock.Advance(opening - daemon.Clock.GetUtcNow());
        claimed = Assert.Single(await ClaimedAsync(api, key));
        Assert.Equal(scheduled, claimed.GetProperty("scanId").GetInt64());
        Assert.True((await api.JobAsync(claimed.GetProperty("jobId").GetInt64())).GetProperty("automated").GetBoolean());
    }

    [Fact]
    public async Task A_recurring_scan_runs_on_its_cron_and_skips_with_a_reason_when_busy_or_offline()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var scheduler = daemon.Service<ScanScheduler>();
        var (scanner, key) = await api.CreateScannerAsync("s1");
        await HeartbeatAsync(api, key);

        var created = await CreateAsync(api, Scan(scanner, new { cron = "0 13 * * *" }, targets: "10.0.0.0/24", name: "daily"));
        var id = created.GetProperty("id").GetInt64();
        var first = DateTimeOffset.Parse("2026-11-20T13:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("scheduled", created.GetProperty("status").GetString());
        Assert.Equal("0 13 * * *", created.GetProperty("recurring").GetProperty("cron").GetString());
        Assert.Equal("UTC", created.GetProperty("recurring").GetProperty("timeZone").GetString());
        Assert.Equal(first, created.GetProperty("recurring").GetProperty("nextRunAt").GetDateTimeOffset());
        Assert.Equal(first, (await api.AdminAsync(Get, "/api/scheduler")).Json.GetProperty("nextCycleAt").GetDateTimeOffset());

        // Not due yet: nothing happens.
        await scheduler.CycleAsync();
        Assert.Single(await ScansAsync(api));

        // Due: a run, linked to its schedule, automated, with its jobs.
        daemon.Clock.Advance(TimeSpan.FromHours(1));
        await HeartbeatAsync(api, key);
        await scheduler.CycleAsync();
        await scheduler.CycleAsync(); // a second cycle at the same time changes nothing
        var run = Assert.Single(await ScansAsync(api), s => s.GetProperty("scheduleId").ValueKind == JsonValueKind.Number);
        var runId = run.GetProperty("id").GetInt64();
        Assert.Equal(id, run.GetProperty("scheduleId").GetInt64());
        Assert.True(run.GetProperty("automated").GetBoolean());
        Assert.Equal("running", run.GetProperty("status").GetString());
        Assert.Equal(1, run.GetProperty("jobCounts").GetProperty("queued").GetInt64());
        Assert.Equal(first.AddDays(1), (await api.ScanAsync(id)).GetProperty("recurring").GetProperty("nextRunAt").GetDateTimeOffset());

        // The next day the first run is still going: skipped.
        daemon.Clock.Advance(TimeSpan.FromDays(1));
        await HeartbeatAsync(api, key);
        await scheduler.CycleAsync();
        var history = (await api.AdminAsync(Get, $"/api/schedules/{id}")).AssertOk().Json;
        var runs = history.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(2, runs.Length);
        Assert.Equal("skipped", runs[0].GetProperty("outcome").GetString());
        Assert.Contains($"previous run (scan {runId}) is still running", runs[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("started", runs[1].GetProperty("outcome").GetString());
        Assert.Equal(runId, runs[1].GetProperty("scanId").GetInt64());
        Assert.Equal("running", runs[1].GetProperty("scanStatus").GetString());

        // The run finishes; the next day the scanner is silent: skipped as offline.
        await CompleteAllAsync(api, key, runId);
        daemon.Clock.Advance(TimeSpan.FromDays(1));
        await scheduler.CycleAsync();
        runs = (await api.AdminAsync(Get, "/api/schedules")).AssertOk().Json.GetProperty("schedules")[0].GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal("scanner 's1' is offline", runs[0].GetProperty("reason").GetString());
        Assert.Equal("completed", runs[2].GetProperty("scanStatus").GetString());

        // Back online: the next due time runs again, as a new scan.
        daemon.Clock.Advance(TimeSpan.FromDays(1));
        await HeartbeatAsync(api, key);
        await scheduler.CycleAsync();
        Assert.Equal(2, (await ScansAsync(api)).Count(s => s.GetProperty("scheduleId").ValueKind == JsonValueKind.Number));

        // Removing the recurring scan ends it; its runs stay. A started scan cannot be removed.
        (await api.AdminAsync(Delete, $"/api/scans/{runId}")).AssertError(409, "INVALID_TRANSITION");
        (await api.AdminAsync(Delete, $"/api/scans/{id}")).AssertOk(204);
        (await api.AdminAsync(Get, $"/api/scans/{id}")).AssertError(404, "NOT_FOUND");
        Assert.Empty((await api.AdminAsync(Get, "/api/schedules")).Json.GetProperty("schedules").EnumerateArray());
        daemon.Clock.Advance(TimeSpan.FromDays(1));
        await HeartbeatAsync(api, key);
        await scheduler.CycleAsync();
        Assert.Equal(2, (await ScansAsync(api)).Length);
        (await api.AdminAsync(Delete, $"/api/scans/{id}")).AssertError(404, "NOT_FOUND");
    }

    [Fact]
    public async Task A_run_created_just_before_a_crash_is_found_again_by_its_due_time_rather_than_started_twice()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanner, key) = await api.CreateScannerAsync("s1");
        var id = (await CreateAsync(api, Scan(scanner, new { cron = "0 13 * * *" }))).GetProperty("id").GetInt64();
        var store = daemon.Service<IOutpostStore>();
        var before = Documents.ReadSchedule(store, id)!;
        daemon.Clock.Advance(TimeSpan.FromHours(1));
        await HeartbeatAsync(api, key);
        await daemon.Service<ScanScheduler>().CycleAsync();
        var run = Assert.Single(await ScansAsync(api), s => s.GetProperty("scheduleId").ValueKind == JsonValueKind.Number).GetProperty("id").GetInt64();

        // The crash: the run's scan is durable, the schedule's update is not.
        await Documents.WriteScheduleAsync(store, before);
        await daemon.Service<ScanScheduler>().CycleAsync();

        Assert.Equal(2, (await ScansAsync(api)).Length);
        var history = Assert.Single((await api.AdminAsync(Get, $"/api/schedules/{id}")).AssertOk().Json.GetProperty("runs").EnumerateArray());
        Assert.Equal(run, history.GetProperty("scanId").GetInt64());
    }

    [Fact]
    public async Task Due_times_missed_while_the_appliance_was_down_are_recorded_as_one_skip_and_the_latest_runs()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanner, key) = await api.CreateScannerAsync("s1");
        var id = (await CreateAsync(api, Scan(scanner, new { cron = "0 13 * * *" }))).GetProperty("id").GetInt64();

        daemon.Clock.Advance(TimeSpan.FromDays(3) + TimeSpan.FromHours(1));
        await HeartbeatAsync(api, key);
        await daemon.Service<ScanScheduler>().CycleAsync();

        var runs = (await api.AdminAsync(Get, $"/api/schedules/{id}")).AssertOk().Json.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(2, runs.Length);
        Assert.Equal("started", runs[0].GetProperty("outcome").GetString());
        Assert.Equal(DateTimeOffset.Parse("2026-11-23T13:00:00Z", System.Globalization.CultureInfo.InvariantCulture), runs[0].GetProperty("at").GetDateTimeOffset());
        Assert.Equal(DateTimeOffset.Parse("2026-11-20T13:00:00Z", System.Globalization.CultureInfo.InvariantCulture), runs[1].GetProperty("at").GetDateTimeOffset());
        Assert.StartsWith("missed: 3 due time(s)", runs[1].GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_recurring_scan_cut_short_before_its_schedule_was_stored_is_removed_after_the_grace_period()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanner, _) = await api.CreateScannerAsync("s1");
        var store = daemon.Service<IOutpostStore>();
        // What a crash between the scan and its schedule document leaves: an automated scheduled scan with no start time.
        var spec = new ScanSpec { Name = "half", Targets = ["10.0.0.1"], Ports = "22", ScannerIds = [scanner], Automated = true };
        var orphan = await store.CreateScanAsync(spec, ScanStatus.Scheduled, [], daemon.Clock.GetUtcNow());
        var scheduler = daemon.Service<ScanScheduler>();

        await scheduler.CycleAsync();
        Assert.Equal("scheduled", (await api.ScanAsync(orphan.Id)).GetProperty("status").GetString());

        daemon.Clock.Advance(ScanScheduler.OrphanGrace);
        await scheduler.CycleAsync();
        (await api.AdminAsync(Get, $"/api/scans/{orphan.Id}")).AssertError(404, "NOT_FOUND");
    }

    [Fact]
    public async Task Recurring_scans_follow_their_time_zone_and_bad_schedules_are_400()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanner, _) = await api.CreateScannerAsync("s1");
        (await api.AdminAsync(Put, "/api/settings/scan", new { timeZone = "Asia/Tokyo" })).AssertOk();

        // Default zone: the appliance's. 22:00 in Tokyo is 13:00 UTC.
        var tokyo = await CreateAsync(api, Scan(scanner, new { cron = "0 22 * * *" }));
        Assert.Equal("Asia/Tokyo", tokyo.GetProperty("recurring").GetProperty("timeZone").GetString());
        Assert.Equal(DateTimeOffset.Parse("2026-11-20T13:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            tokyo.GetProperty("scheduledAt").GetDateTimeOffset());
        var newYork = await CreateAsync(api, Scan(scanner, new { cron = "0 22 * * *", timeZone = "America/New_York" }));
        Assert.Equal(DateTimeOffset.Parse("2026-11-21T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            newYork.GetProperty("recurring").GetProperty("nextRunAt").GetDateTimeOffset());

        var before = await api.SnapshotAsync();
        foreach (var schedule in new object[]
        {
            new { cron = "0 22 * * *", timeZone = "Mars/Olympus" },
            new { cron = "0 22 * *" },
            new { cron = "0 22 1 * 1" },
            new { cron = "* 0 22 * * ?" },
            new { cron = "0 0 0 1 1 ? 2020" },
            new { cron = "0 22 * * *", at = daemon.Clock.GetUtcNow().AddHours(1) },
        })
        {
            (await api.AdminAsync(Post, "/api/scans", Scan(scanner, schedule))).AssertError(400, "BAD_REQUEST");
        }

        Assert.Equal(before, await api.SnapshotAsync());
    }

    [Fact]
    public async Task A_pause_survives_a_restart_holds_automated_work_and_skips_recurring_runs_while_manual_scans_still_run()
    {
        var daemon = await Daemon.StartAsync();
        try
        {
            var (scanner, key) = await daemon.Api.CreateScannerAsync("s1");
            await HeartbeatAsync(daemon.Api, key);
            var oneOff = (await CreateAsync(daemon.Api, Scan(scanner, new { at = daemon.Clock.GetUtcNow().AddMinutes(5) }, name: "once"))).GetProperty("id").GetInt64();
            var recurring = (await CreateAsync(daemon.Api, Scan(scanner, new { cron = "10 12 * * *" }, name: "daily"))).GetProperty("id").GetInt64();
            Assert.True((await daemon.Api.AdminAsync(Post, "/api/scheduler/pause")).AssertOk().Json.GetProperty("paused").GetBoolean());

            daemon = await daemon.RestartAsync();
            var api = daemon.Api;
            var state = (await api.AdminAsync(Get, "/api/scheduler")).AssertOk().Json;
            Assert.True(state.GetProperty("paused").GetBoolean());
            Assert.Equal(JsonValueKind.Null, state.GetProperty("nextCycleAt").ValueKind);

            daemon.Clock.Advance(TimeSpan.FromMinutes(10));
            await HeartbeatAsync(api, key);
            await daemon.Service<ScanScheduler>().CycleAsync();
            Assert.Equal("scheduled", (await api.ScanAsync(oneOff)).GetProperty("status").GetString());
            var skipped = (await api.AdminAsync(Get, $"/api/schedules/{recurring}")).AssertOk().Json.GetProperty("runs")[0];
            Assert.Equal("scheduling is paused", skipped.GetProperty("reason").GetString());

            var manual = await api.CreateScanAsync(["10.0.9.9"], [scanner], name: "manual");
            Assert.Equal(manual, Assert.Single(await ClaimedAsync(api, key)).GetProperty("scanId").GetInt64());

            Assert.False((await api.AdminAsync(Post, "/api/scheduler/resume")).AssertOk().Json.GetProperty("paused").GetBoolean());
            await daemon.Service<ScanScheduler>().CycleAsync();
            Assert.Equal(oneOff, Assert.Single(await ClaimedAsync(api, key)).GetProperty("scanId").GetInt64());

            // Paused again after dispatch: what is queued waits, what was claimed carries on.
            var another = (await CreateAsync(api, Scan(scanner, new { at = daemon.Clock.GetUtcNow().AddMinutes(1) }, targets: "10.0.0.0/23"))).GetProperty("id").GetInt64();
            daemon.Clock.Advance(TimeSpan.FromMinutes(1));
            await daemon.Service<ScanScheduler>().CycleAsync();
            var first = Assert.Single(Api.JobIds(await api.ClaimAsync(key, "1")));
            (await api.AdminAsync(Post, "/api/scheduler/pause")).AssertOk();
            Assert.Empty(await ClaimedAsync(api, key));
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{first}/start")).AssertOk();
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{first}/complete", new { status = "completed" })).AssertOk();
            Assert.Equal(1, (await api.ScanAsync(another)).GetProperty("jobCounts").GetProperty("queued").GetInt64());
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }

    [Fact]
    public async Task Limits_combine_slowest_wins_when_a_scheduled_scan_is_dispatched_not_when_it_is_created()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanner, key) = await api.CreateScannerAsync("s1", maxProbesPerSecond: 500);
        var body = new { name = "later", targets = new[] { "10.0.0.0/23" }, ports = "22,80", scannerIds = new[] { scanner }, maxProbesPerSecond = 400, schedule = new { at = daemon.Clock.GetUtcNow().AddHours(1) } };
        var scan = (await CreateAsync(api, body)).GetProperty("id").GetInt64();

        // Changed after creation, before dispatch: the new limits apply.
        (await api.AdminAsync(Put, "/api/settings/scan", new
        {
            subnetLimits = new[] { new { cidr = "10.0.1.0/24", maxProbesPerSecond = 50 } },
            portLists = new[] { new { name = "ssh-web", ports = "22,80", maxProbesPerSecond = (int?)300 } },
        })).AssertOk();
        daemon.Clock.Advance(TimeSpan.FromHours(1));
        await daemon.Service<ScanScheduler>().CycleAsync();

        var rates = (await ClaimedAsync(api, key)).Select(j => (j.GetProperty("targets")[0].GetProperty("cidr").GetString(), j.GetProperty("maxProbesPerSecond").GetInt32()));
        Assert.Equal([("10.0.0.0/24", 300), ("10.0.1.0/24", 50)], rates);
        Assert.Equal("running", (await api.ScanAsync(scan)).GetProperty("status").GetString());

        // A limit changed now applies to jobs dispatched afterwards, not to those already queued or claimed.
        (await api.AdminAsync(Put, "/api/settings/scan", new { subnetLimits = new[] { new { cidr = "10.0.0.0/8", maxProbesPerSecond = 5 } } })).AssertOk();
        var later = await api.CreateScanAsync(["10.0.2.1"], [scanner], ports: "443");
        var job = Assert.Single(await ClaimedAsync(api, key));
        Assert.Equal(later, job.GetProperty("scanId").GetInt64());
        Assert.Equal(5, job.GetProperty("maxProbesPerSecond").GetInt32());
        Assert.Equal(300, (await api.AdminAsync(Get, $"/api/jobs?scanId={scan}")).Json.GetProperty("jobs").EnumerateArray().Max(j => j.GetProperty("maxProbesPerSecond").GetInt32()));
    }

    [Fact]
    public async Task Settings_without_a_default_rate_keep_the_default_and_an_unknown_time_zone_is_400()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var saved = (await api.AdminAsync(Put, "/api/settings/scan", "{\"windows\":[],\"subnetLimits\":[],\"portLists\":[],\"attributionHeader\":null}")).AssertOk().Json;
        Assert.Equal(10000, saved.GetProperty("defaultMaxProbesPerSecond").GetInt32());
        Assert.Equal("UTC", saved.GetProperty("timeZone").GetString());
        (await api.AdminAsync(Put, "/api/settings/scan", new { timeZone = "Nowhere/Special" })).AssertError(400, "BAD_REQUEST");
        Assert.Equal("UTC", (await api.AdminAsync(Get, "/api/settings/scan")).Json.GetProperty("timeZone").GetString());
    }

    [Fact]
    public async Task Stopping_a_run_cancels_queued_jobs_tells_running_ones_to_stop_and_ends_stopped_once_they_confirm()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanner, key) = await api.CreateScannerAsync("s1");
        await HeartbeatAsync(api, key);
        var recurring = (await CreateAsync(api, Scan(scanner, new { cron = "0 13 * * *" }, targets: "10.0.0.0/22"))).GetProperty("id").GetInt64();
        daemon.Clock.Advance(TimeSpan.FromHours(1));
        await HeartbeatAsync(api, key);
        await daemon.Service<ScanScheduler>().CycleAsync();
        var run = (await ScansAsync(api)).Single(s => s.GetProperty("scheduleId").ValueKind == JsonValueKind.Number).GetProperty("id").GetInt64();
        var jobs = Api.JobIds(await api.ClaimAsync(key, "2"));
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/start")).AssertOk();

        var stopping = (await api.AdminAsync(Post, $"/api/scans/{run}/stop")).AssertOk().Json;
        Assert.Equal("stopping", stopping.GetProperty("status").GetString());
        Assert.Equal(2, stopping.GetProperty("jobCounts").GetProperty("cancelled").GetInt64());
        Assert.True((await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/progress", new { progressCount = 5, resultCount = 0 })).AssertOk().Json.GetProperty("stop").GetBoolean());
        var stopJobs = (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { runningJobs = new[] { jobs[0] } })).AssertOk().Json.GetProperty("stopJobs");
        Assert.Equal(jobs, stopJobs.EnumerateArray().Select(j => j.GetInt64()).Order());

        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/complete", new { status = "completed" })).AssertOk();
        Assert.Equal("stopping", (await api.ScanAsync(run)).GetProperty("status").GetString());
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[1]}/complete", new { status = "completed" })).AssertOk();
        Assert.Equal("stopped", (await api.ScanAsync(run)).GetProperty("status").GetString());

        // The recurring scan itself is untouched and runs again at its next due time; a stopped run is not "active".
        daemon.Clock.Advance(TimeSpan.FromDays(1));
        await HeartbeatAsync(api, key);
        await daemon.Service<ScanScheduler>().CycleAsync();
        Assert.Equal("started", (await api.AdminAsync(Get, $"/api/schedules/{recurring}")).Json.GetProperty("runs")[0].GetProperty("outcome").GetString());

        // A scheduled one-off that is stopped before its time never runs.
        var once = (await CreateAsync(api, Scan(scanner, new { at = daemon.Clock.GetUtcNow().AddMinutes(1) }))).GetProperty("id").GetInt64();
        Assert.Equal("stopped", (await api.AdminAsync(Post, $"/api/scans/{once}/stop")).AssertOk().Json.GetProperty("status").GetString());
        daemon.Clock.Advance(TimeSpan.FromMinutes(1));
        await daemon.Service<ScanScheduler>().CycleAsync();
        Assert.Equal(0, (await api.ScanAsync(once)).GetProperty("jobCounts").GetProperty("queued").GetInt64());
    }

    [Fact]
    public async Task Jobs_of_a_scanner_gone_silent_are_requeued_with_their_attempts_and_fail_with_a_reason_at_the_attempt_limit()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var supervisor = daemon.Service<ScannerSupervisor>();
        var (scanner, key) = await api.CreateScannerAsync("edge");
        await api.CreateScanAsync(["10.0.0.1"], [scanner]);

        // The default limit is five re-queues: the sixth time the job is lost it fails.
        long jobId = 0;
        for (var attempt = 1; attempt <= 6; attempt++)
        {
            await HeartbeatAsync(api, key);
            jobId = Assert.Single(Api.JobIds(await api.ClaimAsync(key)));
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
            daemon.Clock.Advance(TimeSpan.FromMinutes(11));
            await supervisor.SweepAsync();
            var job = await api.JobAsync(jobId);
            if (attempt <= 5)
            {
                Assert.Equal("queued", job.GetProperty("status").GetString());
                Assert.Equal(attempt, job.GetProperty("attempts").GetInt32());
            }
            else
            {
                Assert.Equal("failed", job.GetProperty("status").GetString());
                Assert.Equal(5, job.GetProperty("attempts").GetInt32());
                Assert.Contains("went offline while holding the job; gave up after 6 attempts", job.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
            }
        }

        Assert.Empty(await ClaimedAsync(api, key));
        Assert.Equal("failed", (await api.AdminAsync(Get, "/api/scans")).Json.GetProperty("scans")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task Retention_removes_finished_work_older_than_thirty_days_and_keeps_the_rest()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanner, key) = await api.CreateScannerAsync("s1");
        var old = await api.CreateScanAsync(["10.0.0.1"], [scanner], name: "old");
        await CompleteAllAsync(api, key, old);
        var unfinished = await api.CreateScanAsync(["10.0.0.2"], [scanner], name: "unfinished");

        daemon.Clock.Advance(TimeSpan.FromDays(29));
        var recent = await api.CreateScanAsync(["10.0.0.3"], [scanner], name: "recent");
        await CompleteAllAsync(api, key, recent);
        Assert.Equal(0, await daemon.Service<Retention>().PruneAsync());

        daemon.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await daemon.Service<Retention>().PruneAsync());
        (await api.AdminAsync(Get, $"/api/scans/{old}")).AssertError(404, "NOT_FOUND");
        Assert.Equal("running", (await api.ScanAsync(unfinished)).GetProperty("status").GetString());
        Assert.Equal("completed", (await api.ScanAsync(recent)).GetProperty("status").GetString());
        Assert.Equal("completed", (await api.JobAsync(3)).GetProperty("status").GetString());
        Assert.Equal("claimed", (await api.JobAsync(2)).GetProperty("status").GetString());
        (await api.AdminAsync(Get, "/api/jobs/1")).AssertError(404, "NOT_FOUND");
    }
}
