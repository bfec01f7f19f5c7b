using System.Text.Json;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>The admin API (docs/admin-api.md) over real HTTP: scanners, scans, jobs, scheduler, settings, alarms, operations.</summary>
public sealed class AdminApiTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly HttpMethod Patch = HttpMethod.Patch;
    private static readonly HttpMethod Put = HttpMethod.Put;

    [Fact]
    public async Task Scanners_are_created_listed_and_patched()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var created = (await api.AdminAsync(Post, "/api/scanners", new { name = " edge-1 ", allowedCidrs = new[] { "10.1.0.0/16", "192.0.2.7" }, maxProbesPerSecond = 1000 }))
            .AssertOk(201).Json;
        var id = created.GetProperty("id").GetInt64();
        Assert.Equal("edge-1", created.GetProperty("name").GetString());
        Assert.Equal(["10.1.0.0/16", "192.0.2.7/32"], created.GetProperty("allowedCidrs").EnumerateArray().Select(c => c.GetString()));
        Assert.StartsWith("osk_", created.GetProperty("apiKey").GetString(), StringComparison.Ordinal);

        var listed = Assert.Single((await api.AdminAsync(Get, "/api/scanners")).AssertOk().Json.GetProperty("scanners").EnumerateArray());
        foreach (var field in new[] { "online", "lastHeartbeatAt", "sourceIp", "enabled", "version" })
        {
            Assert.True(listed.TryGetProperty(field, out _), field);
        }

        var patched = (await api.AdminAsync(Patch, $"/api/scanners/{id}", new { name = "edge-2", enabled = false, allowedCidrs = Array.Empty<string>() })).AssertOk().Json;
        Assert.Equal("edge-2", patched.GetProperty("name").GetString());
        Assert.False(patched.GetProperty("enabled").GetBoolean());
        Assert.Empty(patched.GetProperty("allowedCidrs").EnumerateArray());
        Assert.Equal(1000, patched.GetProperty("maxProbesPerSecond").GetInt32()); // absent: unchanged
        patched = (await api.AdminAsync(Patch, $"/api/scanners/{id}", "{\"maxProbesPerSecond\":null}")).AssertOk().Json;
        Assert.Equal(JsonValueKind.Null, patched.GetProperty("maxProbesPerSecond").ValueKind); // null: removed
        (await api.AdminAsync(Patch, "/api/scanners/999", new { enabled = true })).AssertError(404, "NOT_FOUND");
        (await api.AdminAsync(Get, "/api/scanners/999")).AssertError(404, "NOT_FOUND");
    }

    [Theory]
    [InlineData("{\"name\":\"\"}")]
    [InlineData("{\"name\":\"x\",\"allowedCidrs\":[\"10.0.0.5/24\"]}")]
    [InlineData("{\"name\":\"x\",\"allowedCidrs\":[\"not-an-ip\"]}")]
    [InlineData("{\"name\":\"x\",\"allowedCidrs\":[\"10.1\"]}")]
    [InlineData("{\"name\":\"x\",\"maxProbesPerSecond\":0}")]
    [InlineData("{\"name\":\"x\",\"maxProbesPerSecond\":\"fast\"}")]
    [InlineData("{\"name\":42}")]
    [InlineData("{}")]
    [InlineData("{\"name\":\"x\"")]
    [InlineData("[]")]
    public async Task Bad_scanner_creations_are_400_and_change_nothing(string body)
    {
        await using var daemon = await Daemon.StartAsync();
        var before = await daemon.Api.SnapshotAsync();

        (await daemon.Api.AdminAsync(Post, "/api/scanners", body)).AssertError(400, "BAD_REQUEST");

        Assert.Equal(before, await daemon.Api.SnapshotAsync());
    }

    [Theory]
    [InlineData("{\"maxProbesPerSecond\":-5}")]
    [InlineData("{\"maxProbesPerSecond\":1.5}")]
    [InlineData("{\"allowedCidrs\":[\"300.0.0.0/8\"]}")]
    [InlineData("{\"enabled\":\"yes\"}")]
    [InlineData("{\"name\":\"   \"}")]
    public async Task Bad_scanner_patches_are_400_and_change_nothing(string body)
    {
        await using var daemon = await Daemon.StartAsync();
        var (id, _) = await daemon.Api.CreateScannerAsync("s1", maxProbesPerSecond: 10);
        var before = await daemon.Api.SnapshotAsync();

        (await daemon.Api.AdminAsync(Patch, $"/api/scanners/{id}", body)).AssertError(400, "BAD_REQUEST");

        Assert.Equal(before, await daemon.Api.SnapshotAsync());
    }

    [Theory]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.0/33\"],\"ports\":\"22\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.5/24\"],\"ports\":\"22\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.9-10.0.0.1\"],\"ports\":\"22\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"example.com\"],\"ports\":\"22\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[],\"ports\":\"22\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.1\"],\"ports\":\"0\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.1\"],\"ports\":\"65536\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.1\"],\"ports\":\"100-90\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.1\"],\"ports\":\"22,,80\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.1\"],\"ports\":\"nosuchlist\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.1\"],\"ports\":\"22\",\"scannerIds\":[]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.1\"],\"ports\":\"22\",\"scannerIds\":[77]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.1\"],\"ports\":\"22\",\"scannerIds\":[\"1\"]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.1\"],\"ports\":\"22\",\"scannerIds\":[1],\"maxProbesPerSecond\":0}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.1\"],\"ports\":\"22\",\"scannerIds\":[1],\"schedule\":{\"cron\":\"0 * * *\"}}")]
    [InlineData("{\"name\":\"s\",\"targets\":[\"10.0.0.1\"],\"ports\":22,\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"\",\"targets\":[\"10.0.0.1\"],\"ports\":\"22\",\"scannerIds\":[1]}")]
    [InlineData("{\"targets\":[\"10.0.0.1\"],\"ports\":\"22\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":null,\"ports\":\"22\",\"scannerIds\":[1]}")]
    [InlineData("{\"name\":\"s\",\"targets\":[null],\"ports\":\"22\",\"scannerIds\":[1]}")]
    public async Task Bad_scans_are_400_and_change_nothing(string body)
    {
        await using var daemon = await Daemon.StartAsync();
        await daemon.Api.CreateScannerAsync("s1");
        var before = await daemon.Api.SnapshotAsync();

        (await daemon.Api.AdminAsync(Post, "/api/scans", body)).AssertError(400, "BAD_REQUEST");

        Assert.Equal(before, await daemon.Api.SnapshotAsync());
    }

    [Fact]
    public async Task A_scan_is_split_into_jobs_of_at_most_256_addresses_round_robin_over_its_scanners()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (a, _) = await api.CreateScannerAsync("a");
        var (b, _) = await api.CreateScannerAsync("b");
        var scanId = await api.CreateScanAsync(["10.0.0.0/22", "10.0.0.0/24", "10.0.8.1", "10.0.9.10-10.0.9.20"], [a, b], ports: "80,22");

        var scan = await api.ScanAsync(scanId);
        Assert.Equal("running", scan.GetProperty("status").GetString());
        Assert.Equal(1024 + 1 + 11, scan.GetProperty("addressCount").GetInt64()); // the /24 inside the /22 counts once
        Assert.Equal(5, scan.GetProperty("jobCounts").GetProperty("queued").GetInt64());
        Assert.Equal("22,80", scan.GetProperty("ports").GetString());
        foreach (var field in new[] { "id", "name", "status", "targets", "ports", "scannerIds", "maxProbesPerSecond", "createdAt", "startedAt", "finishedAt", "jobCounts", "progressCount", "resultCount" })
        {
            Assert.True(scan.TryGetProperty(field, out _), field);
        }

        var jobs = (await api.AdminAsync(Get, $"/api/jobs?scanId={scanId}")).AssertOk().Json.GetProperty("jobs").EnumerateArray()
            .OrderBy(j => j.GetProperty("jobId").GetInt64()).ToList();
        Assert.Equal(5, jobs.Count);
        Assert.Equal([a, b, a, b, a], jobs.Select(j => j.GetProperty("scannerId").GetInt64()));
        Assert.Equal(["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24", "10.0.8.1|10.0.9.10-10.0.9.20"],
            jobs.Select(j => string.Join('|', j.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("cidr").GetString()))));
        Assert.Equal("b", jobs[1].GetProperty("scannerName").GetString());
        Assert.Equal(1, (await api.AdminAsync(Get, "/api/scans")).AssertOk().Json.GetProperty("scans").GetArrayLength());
        (await api.AdminAsync(Get, "/api/scans/999")).AssertError(404, "NOT_FOUND");
    }

    [Fact]
    public async Task Each_jobs_rate_is_the_slowest_of_scanner_subnet_port_list_and_scan_limits()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        (await api.AdminAsync(Put, "/api/settings/scan", new
        {
            subnetLimits = new[] { new { cidr = "10.0.1.0/24", maxProbesPerSecond = 50 }, new { cidr = "10.0.2.128-10.0.2.130", maxProbesPerSecond = 70 } },
            portLists = new[] { new { name = "web", ports = "443,80", maxProbesPerSecond = (int?)400 } },
            defaultMaxProbesPerSecond = 9000,
        })).AssertOk();
        var (slow, _) = await api.CreateScannerAsync("slow", maxProbesPerSecond: 300);
        var (fast, _) = await api.CreateScannerAsync("fast");

        // Port list "web" by name: 400; scanner "slow": 300; subnets: 50 and 70; scan: none.
        var web = await api.CreateScanAsync(["10.0.0.0/22"], [fast, slow], ports: "web", name: "web");
        var rates = await RatesAsync(api, web);
        Assert.Equal(new[] { 400, 50, 70, 300 }, rates);

        // Listing exactly the list's ports also applies its limit; the scan's own limit applies to every job.
        var capped = await api.CreateScanAsync(["10.0.0.0/22"], [fast], ports: "80,443", maxProbesPerSecond: 60);
        Assert.Equal(new[] { 60, 50, 60, 60 }, await RatesAsync(api, capped));

        // Nothing set: the settings' default.
        var plain = await api.CreateScanAsync(["10.0.5.0/24"], [fast], ports: "22");
        Assert.Equal(new[] { 9000 }, await RatesAsync(api, plain));
    }

    private static async Task<int[]> RatesAsync(Api api, long scanId) =>
        [.. (await api.AdminAsync(Get, $"/api/jobs?scanId={scanId}")).AssertOk().Json.GetProperty("jobs").EnumerateArray()
            .OrderBy(j => j.GetProperty("jobId").GetInt64()).Select(j => j.GetProperty("maxProbesPerSecond").GetInt32())];

    [Fact]
    public async Task Scan_settings_are_validated_normalised_and_kept()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var defaults = (await api.AdminAsync(Get, "/api/settings/scan")).AssertOk().Json;
        Assert.Equal(10000, defaults.GetProperty("defaultMaxProbesPerSecond").GetInt32());
        Assert.Equal(2, defaults.GetProperty("maxConnectionsPerHost").GetInt32());
        Assert.Empty(defaults.GetProperty("windows").EnumerateArray());

        var saved = (await api.AdminAsync(Put, "/api/settings/scan", new
        {
            windows = new[] { new { days = new[] { "Sat", "sun" }, start = "22:00", end = "06:00" } },
            subnetLimits = new[] { new { cidr = " 10.0.0.0/8 ", maxProbesPerSecond = 100 } },
            portLists = new[] { new { name = "top", ports = "80, 22", maxProbesPerSecond = (int?)null } },
            attributionHeader = "X-Scanner: Outpost (security@example.com)",
        })).AssertOk().Json;

        Assert.Equal("sat", saved.GetProperty("windows")[0].GetProperty("days")[0].GetString());
        Assert.Equal("10.0.0.0/8", saved.GetProperty("subnetLimits")[0].GetProperty("cidr").GetString());
        Assert.Equal("22,80", saved.GetProperty("portLists")[0].GetProperty("ports").GetString());
        Assert.Equal(saved.ToString(), (await api.AdminAsync(Get, "/api/settings/scan")).Json.ToString());

        string[] bad =
        [
            "{\"windows\":[{\"days\":[\"someday\"],\"start\":\"01:00\",\"end\":\"02:00\"}]}",
            "{\"windows\":[{\"start\":\"25:00\",\"end\":\"02:00\"}]}",
            "{\"subnetLimits\":[{\"cidr\":\"10.0.0.0/40\",\"maxProbesPerSecond\":5}]}",
            "{\"subnetLimits\":[{\"cidr\":\"10.0.0.0/8\",\"maxProbesPerSecond\":0}]}",
            "{\"portLists\":[{\"name\":\"a\",\"ports\":\"99999\"}]}",
            "{\"portLists\":[{\"name\":\"123\",\"ports\":\"22\"}]}",
            "{\"portLists\":[{\"name\":\"a\",\"ports\":\"22\"},{\"name\":\"A\",\"ports\":\"80\"}]}",
            "{\"attributionHeader\":\"two\\nlines\"}",
            "{\"defaultMaxProbesPerSecond\":0}",
            "{\"maxConnectionsPerHost\":0}",
            "{\"maxConnectionsPerHost\":65}",
            "{\"windows\":null}",
            "{\"windows\":\"always\"}",
        ];
        var before = await api.SnapshotAsync();
        foreach (var body in bad)
        {
            (await api.AdminAsync(Put, "/api/settings/scan", body)).AssertError(400, "BAD_REQUEST");
        }

        Assert.Equal(before, await api.SnapshotAsync());
    }

    [Fact]
    public async Task Jobs_are_filtered_searched_and_paged_on_the_server()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("dmz-scanner");
        await api.CreateScanAsync(["10.0.0.0/21"], [id]); // 8 jobs
        var claimed = Api.JobIds(await api.ClaimAsync(key, "3"));
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{claimed[0]}/start")).AssertOk();
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{claimed[0]}/complete", new { status = "failed", errorMessage = "interface eth1 down" })).AssertOk();

        var all = (await api.AdminAsync(Get, "/api/jobs")).AssertOk().Json;
        var counts = all.GetProperty("counts");
        Assert.Equal(7, counts.GetProperty("queued").GetInt64()); // claimed counts as queued
        Assert.Equal(1, counts.GetProperty("failed").GetInt64());
        Assert.Equal(0, counts.GetProperty("running").GetInt64());
        Assert.Equal(8, all.GetProperty("jobs").GetArrayLength());
        Assert.Contains(all.GetProperty("jobs").EnumerateArray(), j => j.GetProperty("status").GetString() == "claimed");
        var job = all.GetProperty("jobs")[0];
        foreach (var field in new[] { "jobId", "scanId", "scannerId", "scannerName", "name", "targets", "status", "attempts", "progressCount", "resultCount", "sourceIp", "errorMessage", "rerunOf", "createdAt", "claimedAt", "startedAt", "finishedAt", "maxProbesPerSecond" })
        {
            Assert.True(job.TryGetProperty(field, out _), field);
        }

        Assert.Single((await api.AdminAsync(Get, "/api/jobs?q=ETH1")).Json.GetProperty("jobs").EnumerateArray());
        Assert.Equal(8, (await api.AdminAsync(Get, "/api/jobs?q=dmz")).Json.GetProperty("jobs").GetArrayLength());
        Assert.Single((await api.AdminAsync(Get, "/api/jobs?q=10.0.3.0")).Json.GetProperty("jobs").EnumerateArray());
        Assert.Equal(7, (await api.AdminAsync(Get, "/api/jobs?status=queued")).Json.GetProperty("jobs").GetArrayLength());
        var reason = (await api.AdminAsync(Get, "/api/jobs")).Json.GetProperty("failedReasons")[0];
        Assert.Equal(1, reason.GetProperty("count").GetInt64());
        Assert.Single((await api.AdminAsync(Get, "/api/jobs?reason=" + Uri.EscapeDataString(reason.GetProperty("reason").GetString()!))).Json.GetProperty("jobs").EnumerateArray());

        // Paging: 3 + 3 + 2, no job twice.
        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = (await api.AdminAsync(Get, "/api/jobs?limit=3" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)))).AssertOk().Json;
            seen.AddRange(page.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("jobId").GetInt64()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(8, seen.Distinct().Count());
        Assert.Equal(8, seen.Count);

        // The default window is the last 24 hours.
        daemon.Clock.Advance(TimeSpan.FromHours(25));
        Assert.Empty((await api.AdminAsync(Get, "/api/jobs")).Json.GetProperty("jobs").EnumerateArray());
        Assert.Equal(8, (await api.AdminAsync(Get, "/api/jobs?since=2000-01-01T00:00:00Z")).Json.GetProperty("jobs").GetArrayLength());

        foreach (var query in new[] { "status=bogus", "limit=0", "limit=1001", "limit=x", "since=yesterday", "scanId=x" })
        {
            (await api.AdminAsync(Get, "/api/jobs?" + query)).AssertError(400, "BAD_REQUEST");
        }

        (await api.AdminAsync(Get, "/api/jobs/999")).AssertError(404, "NOT_FOUND");
    }

    [Fact]
    public async Task The_scheduler_pause_survives_a_restart()
    {
        var daemon = await Daemon.StartAsync();
        try
        {
            var state = (await daemon.Api.AdminAsync(Get, "/api/scheduler")).AssertOk().Json;
            Assert.False(state.GetProperty("paused").GetBoolean());
            Assert.Equal(JsonValueKind.Null, state.GetProperty("nextCycleAt").ValueKind);
            var (id, _) = await daemon.Api.CreateScannerAsync("s1");
            var at = daemon.Clock.GetUtcNow().AddHours(2);
            var scheduled = (await daemon.Api.AdminAsync(Post, "/api/scans", new { name = "later", targets = new[] { "10.0.0.1" }, ports = "22", scannerIds = new[] { id }, schedule = new { at } }))
                .AssertOk(201).Json;
            Assert.Equal("scheduled", scheduled.GetProperty("status").GetString());
            Assert.Equal(0, scheduled.GetProperty("jobCounts").GetProperty("queued").GetInt64());
            Assert.Equal(at, (await daemon.Api.AdminAsync(Get, "/api/scheduler")).Json.GetProperty("nextCycleAt").GetDateTimeOffset());

            Assert.True((await daemon.Api.AdminAsync(Post, "/api/scheduler/pause")).AssertOk().Json.GetProperty("paused").GetBoolean());
            daemon = await daemon.RestartAsync();

            state = (await daemon.Api.AdminAsync(Get, "/api/scheduler")).AssertOk().Json;
            Assert.True(state.GetProperty("paused").GetBoolean());
            Assert.Equal(JsonValueKind.Null, state.GetProperty("nextCycleAt").ValueKind);
            Assert.False((await daemon.Api.AdminAsync(Post, "/api/scheduler/resume")).AssertOk().Json.GetProperty("paused").GetBoolean());
        }
        finally
        {
            await daemon.DisposeAsync();
        }
    }

    [Fact]
    public async Task Alarm_kinds_are_served_with_labels_and_described_in_openapi()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var kinds = (await api.AdminAsync(Get, "/api/alarms/kinds")).AssertOk().Json.GetProperty("kinds").EnumerateArray()
            .ToDictionary(k => k.GetProperty("kind").GetString()!, k => k.GetProperty("label").GetString()!);
        // Exactly what the appliance raises (src/Appliance/Alarms/AlarmKinds.cs), each with a label for people.
        Assert.Equal(["scan-stuck", "scanner-offline", "scanner-unhealthy"], kinds.Keys.Order(StringComparer.Ordinal));
        Assert.All(kinds.Values, label => Assert.False(string.IsNullOrWhiteSpace(label)));
        (await api.SendAsync(Get, "/api/alarms/kinds", null)).AssertError(401, "UNAUTHORIZED");

        var openApi = (await api.AdminAsync(Get, "/openapi/v1.json")).AssertOk().Json;
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/api/alarms/kinds", out _));
    }

    [Fact]
    public async Task Operations_openapi_static_files_and_framework_errors()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        Assert.Equal("ok", (await api.SendAsync(Get, "/healthz", null)).AssertOk().Json.GetProperty("status").GetString());
        Assert.Equal("ready", (await api.SendAsync(Get, "/readyz", null)).AssertOk().Json.GetProperty("status").GetString());

        (await api.SendAsync(Get, "/openapi/v1.json", null)).AssertError(401, "UNAUTHORIZED");
        var openApi = (await api.AdminAsync(Get, "/openapi/v1.json")).AssertOk().Json;
        var paths = openApi.GetProperty("paths");
        foreach (var path in new[] { "/scanner/jobs", "/scanner/jobs/{jobId}/complete", "/scanner/heartbeat", "/api/scans", "/api/jobs", "/api/session",
            "/api/users", "/api/users/{id}", "/api/tokens", "/api/account/password", "/api/account/totp", "/api/audit" })
        {
            Assert.True(paths.TryGetProperty(path, out _), path);
        }

        (await api.SendAsync(Get, "/no/such/route", null)).AssertError(404, "NOT_FOUND");
        (await api.SendAsync(HttpMethod.Delete, "/scanner/heartbeat", null)).AssertError(405, "METHOD_NOT_ALLOWED");
        (await api.AdminAsync(HttpMethod.Delete, "/api/scans")).AssertError(405, "METHOD_NOT_ALLOWED");

        // The UI is served without auth when it is installed beside the binary.
        if (File.Exists(Path.Combine(AppContext.BaseDirectory, "wwwroot", "index.html")))
        {
            var index = (await api.SendAsync(Get, "/", null)).AssertOk();
            Assert.Equal("text/html", index.ContentHeaders!.ContentType!.MediaType);
        }

        var appliance = (await api.AdminAsync(Get, "/api/appliance")).AssertOk().Json;
        Assert.Equal("0.1.0", appliance.GetProperty("version").GetString());
        Assert.Equal(JsonValueKind.Null, appliance.GetProperty("tlsFingerprint").ValueKind);

        (await api.SendAsync(Get, "/metrics", null)).AssertError(401, "UNAUTHORIZED");
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.0.0.0/24"], [id]);
        (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { })).AssertOk();
        var jobId = Api.JobIds(await api.ClaimAsync(key))[0];
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertOk();
        var metrics = (await api.AdminAsync(Get, "/metrics")).AssertOk();
        Assert.StartsWith("text/plain", metrics.ContentHeaders!.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Contains("outpost_jobs_claimed_total 1", metrics.Body, StringComparison.Ordinal);
        Assert.Contains("outpost_jobs_finished_total{status=\"completed\"} 1", metrics.Body, StringComparison.Ordinal);
        Assert.Contains("outpost_jobs{status=\"completed\"} 1", metrics.Body, StringComparison.Ordinal);
        Assert.Contains("outpost_scanners_online 1", metrics.Body, StringComparison.Ordinal);
        Assert.Contains("outpost_store_commit_duration_seconds_bucket{operation=\"claim\",le=\"+Inf\"} 1", metrics.Body, StringComparison.Ordinal);
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", metrics.Body, StringComparison.Ordinal);
        Assert.Contains("http_route=\"/scanner/jobs\"", metrics.Body, StringComparison.Ordinal);
    }
}
