using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>
/// Leases that heal and pools (docs/lifecycle.md), over the real HTTP API of the in-process daemon on the manual clock:
/// a job its heartbeating scanner stops listing goes back to the queue after the lease grace (60 s by default), and a
/// pool's job goes to whichever member claims it.
/// </summary>
public sealed class LeaseHealingTests
{
    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_claim_whose_reply_was_lost_heals_after_the_grace_and_a_late_start_is_409()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.82.0.1"], [id]);
        var jobId = Api.JobIds(await api.ClaimAsync(key))[0];

        // The node never saw the reply: it heartbeats without the job. The grace counts from the first such heartbeat.
        await HeartbeatAsync(api, key);
        daemon.Clock.Advance(Grace - TimeSpan.FromSeconds(1));
        await HeartbeatAsync(api, key);
        Assert.Equal("claimed", (await api.JobAsync(jobId)).GetProperty("status").GetString());

        daemon.Clock.Advance(TimeSpan.FromSeconds(1));
        await HeartbeatAsync(api, key);
        var healed = await api.JobAsync(jobId);
        Assert.Equal(("queued", 1), (healed.GetProperty("status").GetString(), healed.GetProperty("attempts").GetInt32()));

        // The old holder's late calls are refused (the node drops the job); a new claim gets it again.
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertError(409, "INVALID_TRANSITION");
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertError(409, "INVALID_TRANSITION");
        Assert.Equal([jobId], Api.JobIds(await api.ClaimAsync(key)));
    }

    [Fact]
    public async Task A_job_the_scanner_keeps_listing_never_heals_and_one_listed_again_starts_its_grace_afresh()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.82.0.1"], [id]);
        var jobId = Api.JobIds(await api.ClaimAsync(key))[0];
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();

        for (var i = 0; i < 10; i++)
        {
            await HeartbeatAsync(api, key, jobId);
            daemon.Clock.Advance(TimeSpan.FromSeconds(30));
        }

        // Missing for 50 s, listed once, missing again for 50 s: never 60 s in a row.
        await HeartbeatAsync(api, key);
        daemon.Clock.Advance(TimeSpan.FromSeconds(50));
        await HeartbeatAsync(api, key, jobId);
        await HeartbeatAsync(api, key);
        daemon.Clock.Advance(TimeSpan.FromSeconds(50));
        await HeartbeatAsync(api, key);
        Assert.Equal("running", (await api.JobAsync(jobId)).GetProperty("status").GetString());
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertOk();
    }

    [Fact]
    public async Task A_heartbeat_listing_many_jobs_it_does_not_hold_is_told_to_stop_each_once()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.82.0.1"], [id]);
        var held = Api.JobIds(await api.ClaimAsync(key))[0];
        // 50 000 ids, each twice (about 0.8 MB of JSON, near the 1 MiB body limit): each foreign id is answered once.
        var foreign = Enumerable.Range(1_000_000, 50_000).Select(i => (long)i).ToList();
        var reply = (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { runningJobs = foreign.Concat(foreign).Append(held) })).AssertOk();
        var stop = reply.Json.GetProperty("stopJobs").EnumerateArray().Select(e => e.GetInt64()).ToList();
        Assert.Equal(foreign, stop.Order());
    }

    [Fact]
    public async Task A_pools_job_goes_to_any_member_and_after_a_lost_lease_to_the_other_member()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (a, keyA) = await CreatePoolMemberAsync(api, "a", "dc-frankfurt");
        var (b, keyB) = await CreatePoolMemberAsync(api, "b", "dc-frankfurt");
        var (outsider, keyOutsider) = await api.CreateScannerAsync("outsider");
        await HeartbeatAsync(api, keyA);

        var pools = (await api.AdminAsync(HttpMethod.Get, "/api/pools")).AssertOk().Json.GetProperty("pools");
        var pool = Assert.Single(pools.EnumerateArray());
        Assert.Equal(("dc-frankfurt", 1), (pool.GetProperty("name").GetString(), pool.GetProperty("online").GetInt32()));
        Assert.Equal([a, b], pool.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetInt64()));

        var created = (await api.AdminAsync(Post, "/api/scans", new { name = "pool", targets = new[] { "10.82.0.0/24" }, ports = "80", pools = new[] { "dc-frankfurt" } }))
            .AssertOk(201).Json;
        Assert.Equal("dc-frankfurt", created.GetProperty("pools").EnumerateArray().Single().GetString());
        Assert.Empty(created.GetProperty("scannerIds").EnumerateArray());
        Assert.Empty(Api.JobIds(await api.ClaimAsync(keyOutsider)));

        var jobId = Api.JobIds(await api.ClaimAsync(keyA))[0];
        var job = await api.JobAsync(jobId);
        Assert.Equal((a, "dc-frankfurt"), (job.GetProperty("scannerId").GetInt64(), job.GetProperty("pool").GetString()));

        // a lost the claim reply; after the grace the job is the pool's again, and b takes it.
        await HeartbeatAsync(api, keyA);
        daemon.Clock.Advance(Grace);
        await HeartbeatAsync(api, keyA);
        Assert.Equal([jobId], Api.JobIds(await api.ClaimAsync(keyB)));
        (await api.ScannerAsync(keyA, Post, $"/scanner/jobs/{jobId}/start")).AssertError(403, "JOB_NOT_OWNED");
        (await api.ScannerAsync(keyB, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        Assert.NotEqual(outsider, b);
    }

    [Fact]
    public async Task Pool_names_and_scan_pools_are_checked_and_a_scanner_leaves_its_pool_with_null()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        (await api.AdminAsync(Post, "/api/scanners", new { name = "x", pool = "dc frankfurt" })).AssertError(400, "BAD_REQUEST");
        (await api.AdminAsync(Post, "/api/scanners", new { name = "x", pool = new string('p', 65) })).AssertError(400, "BAD_REQUEST");
        var (id, _) = await CreatePoolMemberAsync(api, "a", "dc-paris");
        (await api.AdminAsync(HttpMethod.Patch, $"/api/scanners/{id}", new { pool = 7 })).AssertError(400, "BAD_REQUEST");
        (await api.AdminAsync(Post, "/api/scans", new { name = "s", targets = new[] { "10.82.0.1" }, ports = "80", pools = new[] { "dc-nowhere" } }))
            .AssertError(400, "BAD_REQUEST");
        (await api.AdminAsync(Post, "/api/scans", new { name = "s", targets = new[] { "10.82.0.1" }, ports = "80" })).AssertError(400, "BAD_REQUEST");
        Assert.Empty((await api.AdminAsync(HttpMethod.Get, "/api/scans")).Json.GetProperty("scans").EnumerateArray());

        // Absent leaves the pool; null leaves it.
        var renamed = (await api.AdminAsync(HttpMethod.Patch, $"/api/scanners/{id}", new { name = "a2" })).AssertOk().Json;
        Assert.Equal("dc-paris", renamed.GetProperty("pool").GetString());
        var left = (await api.AdminAsync(HttpMethod.Patch, $"/api/scanners/{id}", "{\"pool\":null}")).AssertOk().Json;
        Assert.Equal(System.Text.Json.JsonValueKind.Null, left.GetProperty("pool").ValueKind);
        Assert.Empty((await api.AdminAsync(HttpMethod.Get, "/api/pools")).Json.GetProperty("pools").EnumerateArray());
    }

    private static async Task<(long Id, string Key)> CreatePoolMemberAsync(Api api, string name, string pool)
    {
        var created = (await api.AdminAsync(Post, "/api/scanners", new { name, pool })).AssertOk(201).Json;
        Assert.Equal(pool, created.GetProperty("pool").GetString());
        return (created.GetProperty("id").GetInt64(), created.GetProperty("apiKey").GetString()!);
    }

    private static async Task HeartbeatAsync(Api api, string key, params long[] running) =>
        (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { version = "1", runningJobs = running })).AssertOk();
}
