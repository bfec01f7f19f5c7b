using System.Text.Json;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>The scanner job protocol (docs/protocol.md) over real HTTP against the real daemon and store: one test per rule.</summary>
public sealed class ScannerProtocolTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly long[] UnknownJobs = [4242];

    [Fact]
    public async Task Claim_hands_out_the_oldest_queued_job_first_with_the_documented_shape()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1", maxProbesPerSecond: 700);
        await api.CreateScanAsync(["10.0.0.0/23", "10.9.0.1-10.9.0.3"], [id], ports: "443,22,80-81");

        var first = (await api.ClaimAsync(key)).AssertOk().Json.GetProperty("jobs");
        Assert.Equal(1, first.GetArrayLength());
        var job = first[0];
        Assert.Equal("portscan", job.GetProperty("name").GetString());
        Assert.Equal(700, job.GetProperty("maxProbesPerSecond").GetInt32());
        Assert.True(job.GetProperty("scanId").GetInt64() > 0);
        var target = job.GetProperty("targets")[0];
        Assert.Equal("10.0.0.0/24", target.GetProperty("cidr").GetString());
        Assert.Equal("22,80-81,443", target.GetProperty("ports").GetString());

        var rest = Api.JobIds(await api.ClaimAsync(key, "10"));
        Assert.Equal(2, rest.Length);
        Assert.True(job.GetProperty("jobId").GetInt64() < rest[0] && rest[0] < rest[1], "FIFO: ids in creation order");
        Assert.Empty(Api.JobIds(await api.ClaimAsync(key, "5")));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("")]
    [InlineData("99999999999999999999999")]
    public async Task Claim_with_a_bad_limit_is_400_and_claims_nothing(string limit)
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.0.0.1"], [id]);
        var before = await api.SnapshotAsync();

        (await api.ClaimAsync(key, limit)).AssertError(400, "BAD_REQUEST");

        Assert.Equal(before, await api.SnapshotAsync());
    }

    [Fact]
    public async Task Claim_limit_above_ten_is_capped_at_ten()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.0.0.0/20"], [id]); // 16 jobs of a /24

        Assert.Equal(10, Api.JobIds(await api.ClaimAsync(key, "50")).Length);
        Assert.Equal(6, Api.JobIds(await api.ClaimAsync(key, "50")).Length);
    }

    [Fact]
    public async Task A_job_goes_through_its_lifecycle_and_the_scan_completes_in_the_same_commit()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        var scanId = await api.CreateScanAsync(["10.0.0.0/24"], [id]);
        var jobId = Api.JobIds(await api.ClaimAsync(key))[0];
        Assert.Equal("claimed", (await api.JobAsync(jobId)).GetProperty("status").GetString());

        AssertOkTrue((await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk());
        AssertOkTrue((await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk()); // idempotent
        var progress = (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/progress", new { progressCount = 10, resultCount = 2 })).AssertOk();
        Assert.False(progress.Json.TryGetProperty("stop", out _));
        // Counts never go down: a lower, late report is ignored.
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/progress", new { progressCount = 4, resultCount = 1 })).AssertOk();
        var job = await api.JobAsync(jobId);
        Assert.Equal(10, job.GetProperty("progressCount").GetInt64());
        Assert.Equal(2, job.GetProperty("resultCount").GetInt64());

        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed", resultCount = 3 })).AssertOk();
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertOk(); // idempotent
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "failed" })).AssertError(409, "INVALID_TRANSITION");
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertError(409, "INVALID_TRANSITION");
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/progress", new { progressCount = 11, resultCount = 3 }))
            .AssertError(409, "INVALID_TRANSITION");

        job = await api.JobAsync(jobId);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(3, job.GetProperty("resultCount").GetInt64());
        var scan = await api.ScanAsync(scanId);
        Assert.Equal("completed", scan.GetProperty("status").GetString());
        Assert.Equal(1, scan.GetProperty("jobCounts").GetProperty("completed").GetInt64());
        Assert.True(scan.TryGetProperty("finishedAt", out var finished) && finished.ValueKind == JsonValueKind.String);
    }

    /// <summary>
    /// The replies a lifecycle gets nearly every time are serialized once (JsonReply): on the wire they are the same
    /// JSON as before, with its Content-Type and now a Content-Length, and a stop or a do-not-scan entry still shows.
    /// </summary>
    [Fact]
    public async Task Lifecycle_replies_are_the_documented_json_whether_serialized_once_or_per_request()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        var scanId = await api.CreateScanAsync(["10.0.0.0/23"], [id]); // 2 jobs
        var jobs = Api.JobIds(await api.ClaimAsync(key, "2"));

        AssertExactJson("""{"ok":true}""", (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/start")).AssertOk());
        AssertExactJson("""{"ok":true,"exclude":[]}""",
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/progress", new { progressCount = 1, resultCount = 0 })).AssertOk());
        AssertExactJson("""{"ok":true}""", (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/complete", new { status = "completed" })).AssertOk());
        AssertExactJson("""{"jobs":[]}""", (await api.ClaimAsync(key)).AssertOk());

        (await api.AdminAsync(HttpMethod.Put, "/api/settings/scan", new { exclusions = new[] { new { target = "10.0.1.7:22" } } })).AssertOk();
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[1]}/start")).AssertOk();
        AssertExactJson("""{"ok":true,"exclude":["10.0.1.7:22"]}""",
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[1]}/progress", new { progressCount = 1, resultCount = 0 })).AssertOk());
        (await api.AdminAsync(HttpMethod.Put, "/api/settings/scan", new { exclusions = Array.Empty<object>() })).AssertOk();

        (await api.AdminAsync(Post, $"/api/scans/{scanId}/stop")).AssertOk();
        AssertExactJson("""{"ok":true,"stop":true,"exclude":[]}""",
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[1]}/progress", new { progressCount = 2, resultCount = 0 })).AssertOk());
        AssertExactJson("""{"ok":true,"stop":true}""", (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[1]}/complete", new { status = "completed" })).AssertOk());
    }

    [Fact]
    public async Task A_scan_with_any_failed_job_fails_when_its_last_job_finishes()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        var scanId = await api.CreateScanAsync(["10.0.0.0/23"], [id]);
        var jobs = Api.JobIds(await api.ClaimAsync(key, "2"));
        foreach (var jobId in jobs)
        {
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        }

        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/complete", new { status = "failed", errorMessage = "pcap: no such device eth7" })).AssertOk();
        Assert.Equal("running", (await api.ScanAsync(scanId)).GetProperty("status").GetString());
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[1]}/complete", new { status = "completed" })).AssertOk();

        Assert.Equal("failed", (await api.ScanAsync(scanId)).GetProperty("status").GetString());
        var failed = await api.JobAsync(jobs[0]);
        Assert.Equal("pcap: no such device eth7", failed.GetProperty("errorMessage").GetString());
        var list = (await api.AdminAsync(Get, "/api/jobs?status=failed")).AssertOk().Json;
        Assert.Equal(1, list.GetProperty("counts").GetProperty("failed").GetInt64());
        Assert.Single(list.GetProperty("jobs").EnumerateArray());
        Assert.NotEmpty(list.GetProperty("failedReasons").EnumerateArray());
    }

    [Fact]
    public async Task Out_of_order_transitions_are_409()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.0.0.0/23"], [id]);
        var queued = (await api.AdminAsync(Get, "/api/jobs?status=queued")).AssertOk().Json.GetProperty("jobs")[0].GetProperty("jobId").GetInt64();

        // Not claimed yet: nothing but a claim may touch it.
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{queued}/start")).AssertError(409, "INVALID_TRANSITION");
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{queued}/progress", new { progressCount = 1, resultCount = 0 })).AssertError(409, "INVALID_TRANSITION");
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{queued}/complete", new { status = "completed" })).AssertError(409, "INVALID_TRANSITION");

        // Claimed but not started: progress is out of order.
        var claimed = Api.JobIds(await api.ClaimAsync(key))[0];
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{claimed}/progress", new { progressCount = 1, resultCount = 0 })).AssertError(409, "INVALID_TRANSITION");
    }

    [Fact]
    public async Task Another_scanners_job_is_403_JOB_NOT_OWNED_and_an_unknown_job_404_on_every_job_endpoint()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (owner, ownerKey) = await api.CreateScannerAsync("owner");
        var (_, otherKey) = await api.CreateScannerAsync("other");
        await api.CreateScanAsync(["10.0.0.1"], [owner]);
        var jobId = Api.JobIds(await api.ClaimAsync(ownerKey))[0];
        (await api.ScannerAsync(ownerKey, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        var before = await api.SnapshotAsync();

        var bodies = new Dictionary<string, object?>
        {
            ["start"] = null,
            ["progress"] = new { progressCount = 5, resultCount = 1 },
            ["complete"] = new { status = "completed" },
            ["results"] = new { results = new[] { new { ip = "10.0.0.1", port = 22, proto = "tcp", state = "open" } } },
        };
        foreach (var (action, body) in bodies)
        {
            (await api.ScannerAsync(otherKey, Post, $"/scanner/jobs/{jobId}/{action}", body)).AssertError(403, "JOB_NOT_OWNED");
            (await api.ScannerAsync(ownerKey, Post, $"/scanner/jobs/{jobId + 1000}/{action}", body)).AssertError(404, "NOT_FOUND");
            (await api.ScannerAsync(ownerKey, Post, $"/scanner/jobs/not-a-number/{action}", body)).AssertError(404, "NOT_FOUND");
        }

        Assert.Equal(before, await api.SnapshotAsync());
    }

    [Fact]
    public async Task Missing_or_unknown_keys_are_401_and_a_disabled_scanner_gets_403_on_every_endpoint()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.0.0.1"], [id]);
        var jobId = Api.JobIds(await api.ClaimAsync(key))[0];

        var endpoints = new (HttpMethod Method, string Path, object? Body)[]
        {
            (Get, "/scanner/jobs", null),
            (Post, $"/scanner/jobs/{jobId}/start", null),
            (Post, $"/scanner/jobs/{jobId}/progress", new { progressCount = 1, resultCount = 0 }),
            (Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" }),
            (Post, $"/scanner/jobs/{jobId}/results", new { results = Array.Empty<object>() }),
            (Post, "/scanner/heartbeat", new { version = "1.0" }),
        };
        foreach (var (method, path, body) in endpoints)
        {
            (await api.SendAsync(method, path, body)).AssertError(401, "UNAUTHORIZED");
            (await api.ScannerAsync("osk_not-a-real-key", method, path, body)).AssertError(401, "UNAUTHORIZED");
        }

        (await api.AdminAsync(HttpMethod.Patch, $"/api/scanners/{id}", new { enabled = false })).AssertOk();
        var before = await api.SnapshotAsync();
        foreach (var (method, path, body) in endpoints)
        {
            (await api.ScannerAsync(key, method, path, body)).AssertError(403, "SCANNER_DISABLED");
        }

        Assert.Equal(before, await api.SnapshotAsync());
        (await api.AdminAsync(HttpMethod.Patch, $"/api/scanners/{id}", new { enabled = true })).AssertOk();
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
    }

    [Fact]
    public async Task Rotating_a_key_stops_the_old_one_at_once()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, oldKey) = await api.CreateScannerAsync("s1");
        (await api.ClaimAsync(oldKey)).AssertOk();

        var rotated = (await api.AdminAsync(Post, $"/api/scanners/{id}/rotate-key")).AssertOk().Json;
        var newKey = rotated.GetProperty("apiKey").GetString()!;

        Assert.NotEqual(oldKey, newKey);
        Assert.True(newKey.Length >= 22, "at least 128 bits of base64");
        (await api.ClaimAsync(oldKey)).AssertError(401, "UNAUTHORIZED");
        (await api.ClaimAsync(newKey)).AssertOk();
        // Shown once: listing never includes a key.
        Assert.DoesNotContain("apiKey", (await api.AdminAsync(Get, "/api/scanners")).Body, StringComparison.Ordinal);
        (await api.AdminAsync(Post, "/api/scanners/999/rotate-key")).AssertError(404, "NOT_FOUND");
    }

    [Theory]
    [InlineData("10.0.0.0/8", 403)]
    [InlineData("127.0.0.0/8", 200)]
    [InlineData("127.0.0.1", 200)]
    public async Task Ip_binding_is_checked_on_job_fetch(string allowed, int expected)
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("bound", [allowed]);
        await api.CreateScanAsync(["10.0.0.1"], [id]);
        var before = await api.SnapshotAsync();

        var reply = await api.ClaimAsync(key);

        if (expected == 403)
        {
            reply.AssertError(403, "IP_BINDING_VIOLATION");
            Assert.Equal(before, await api.SnapshotAsync());
            (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { })).AssertOk(); // only job fetch is bound
        }
        else
        {
            Assert.Single(Api.JobIds(reply));
        }
    }

    [Fact]
    public async Task Results_are_appended_once_and_served_as_json_and_csv()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        var scanId = await api.CreateScanAsync(["10.0.0.0/24"], [id]);
        var jobId = Api.JobIds(await api.ClaimAsync(key))[0];
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        var batch = new
        {
            results = new object[]
            {
                new { ip = "10.0.0.5", port = 22, proto = "tcp", state = "open", ttl = 64 },
                new { ip = "10.0.0.6", port = 80, proto = "tcp", state = "closed" },
            },
        };

        var first = (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", batch)).AssertOk().Json;
        var repeat = (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", batch)).AssertOk().Json;

        Assert.True(first.GetProperty("ok").GetBoolean());
        Assert.Equal(2, first.GetProperty("accepted").GetInt32());
        Assert.Equal(first.ToString(), repeat.ToString());
        var results = (await api.AdminAsync(Get, $"/api/scans/{scanId}/results")).AssertOk().Json.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        Assert.Equal(64, results.EnumerateArray().Single(r => r.GetProperty("ip").GetString() == "10.0.0.5").GetProperty("ttl").GetInt32());
        var csv = (await api.AdminAsync(Get, $"/api/scans/{scanId}/results?format=csv")).AssertOk();
        Assert.Equal("text/csv", csv.ContentHeaders!.ContentType!.MediaType);
        var lines = csv.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("ip,port,proto,state,ttl,jobId,seenAt", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("10.0.0.5,22,tcp,open,64," + jobId, StringComparison.Ordinal));
        (await api.AdminAsync(Get, $"/api/scans/{scanId}/results?format=xml")).AssertError(400, "BAD_REQUEST");
        (await api.AdminAsync(Get, "/api/scans/999/results")).AssertError(404, "NOT_FOUND");
    }

    [Fact]
    public async Task Heartbeat_records_the_scanner_and_stopping_a_scan_tells_its_scanners_to_stop()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        var scanId = await api.CreateScanAsync(["10.0.0.0/22"], [id]); // 4 jobs
        var jobs = Api.JobIds(await api.ClaimAsync(key, "2"));
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/start")).AssertOk();

        var beat = (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { version = "0.1.0", runningJobs = new[] { jobs[0] } })).AssertOk().Json;
        Assert.True(beat.GetProperty("ok").GetBoolean());
        Assert.Equal(daemon.Clock.GetUtcNow(), beat.GetProperty("serverTime").GetDateTimeOffset());
        Assert.Empty(beat.GetProperty("stopJobs").EnumerateArray());
        var scanner = (await api.AdminAsync(Get, $"/api/scanners/{id}")).AssertOk().Json;
        Assert.True(scanner.GetProperty("online").GetBoolean());
        Assert.Equal("0.1.0", scanner.GetProperty("version").GetString());
        Assert.Equal("127.0.0.1", scanner.GetProperty("sourceIp").GetString());

        var stopped = (await api.AdminAsync(Post, $"/api/scans/{scanId}/stop")).AssertOk().Json;
        Assert.Equal("stopping", stopped.GetProperty("status").GetString());
        Assert.Equal(2, stopped.GetProperty("jobCounts").GetProperty("cancelled").GetInt64()); // queued jobs at once

        var stopJobs = (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { })).AssertOk().Json.GetProperty("stopJobs");
        Assert.Equal(jobs.Order(), stopJobs.EnumerateArray().Select(j => j.GetInt64()).Order());
        var progress = (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/progress", new { progressCount = 3, resultCount = 0 })).AssertOk().Json;
        Assert.True(progress.GetProperty("stop").GetBoolean());
        Assert.Empty(Api.JobIds(await api.ClaimAsync(key, "10")));

        foreach (var jobId in jobs)
        {
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertOk();
        }

        Assert.Equal("stopped", (await api.ScanAsync(scanId)).GetProperty("status").GetString());
        (await api.AdminAsync(Post, $"/api/scans/{scanId}/stop")).AssertError(409, "INVALID_TRANSITION");
        (await api.AdminAsync(Post, "/api/scans/999/stop")).AssertError(404, "NOT_FOUND");
    }

    [Fact]
    public async Task Heartbeat_tells_a_scanner_to_stop_jobs_that_are_no_longer_its_own()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (_, key) = await api.CreateScannerAsync("s1");

        var beat = (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { runningJobs = UnknownJobs })).AssertOk().Json;

        Assert.Equal([4242L], beat.GetProperty("stopJobs").EnumerateArray().Select(j => j.GetInt64()));
    }

    [Fact]
    public async Task A_rerun_is_a_new_job_and_the_finished_one_stays_as_it_was()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.0.0.1"], [id]);
        var jobId = Api.JobIds(await api.ClaimAsync(key))[0];
        (await api.AdminAsync(Post, $"/api/jobs/{jobId}/rerun")).AssertError(409, "INVALID_TRANSITION");
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        (await api.AdminAsync(Post, $"/api/jobs/{jobId}/rerun")).AssertError(409, "INVALID_TRANSITION");
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "failed", errorMessage = "timeout" })).AssertOk();
        var old = (await api.JobAsync(jobId)).ToString();

        var rerun = (await api.AdminAsync(Post, $"/api/jobs/{jobId}/rerun")).AssertOk(201).Json;

        var newId = rerun.GetProperty("jobId").GetInt64();
        Assert.NotEqual(jobId, newId);
        Assert.Equal(jobId, rerun.GetProperty("rerunOf").GetInt64());
        Assert.Equal("queued", rerun.GetProperty("status").GetString());
        Assert.Equal((await api.JobAsync(jobId)).GetProperty("targets").ToString(), rerun.GetProperty("targets").ToString());
        Assert.Equal(old, (await api.JobAsync(jobId)).ToString());
        Assert.Equal([newId], Api.JobIds(await api.ClaimAsync(key)));
        (await api.AdminAsync(Post, "/api/jobs/999/rerun")).AssertError(404, "NOT_FOUND");
    }

    private static void AssertExactJson(string expected, Reply reply)
    {
        Assert.Equal(expected, reply.Body);
        Assert.Equal("application/json; charset=utf-8", reply.ContentHeaders?.ContentType?.ToString());
    }

    private static void AssertOkTrue(Reply reply) => Assert.True(reply.Json.GetProperty("ok").GetBoolean());
}
