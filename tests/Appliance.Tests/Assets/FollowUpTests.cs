using Microsoft.Extensions.DependencyInjection;
using Outpost.Appliance.Assets;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Store.Records;
using Outpost.Store.Records.Inventory;

namespace Outpost.Appliance.Tests.Assets;

/// <summary>
/// Follow-up jobs (docs/assets-page.md, "Follow-up jobs") in the real daemon, a scanner driven by hand over the scanner
/// protocol and the inventory's processing run by the test: a port scan's open ports get a fingerprint scan, the web
/// services it found get screenshot and crawler scans; a listener called again creates nothing twice; a repeated run
/// over the same targets follows up only what is new.
/// </summary>
public sealed class FollowUpTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;

    [Fact]
    public async Task Open_ports_are_fingerprinted_and_web_services_screenshotted_and_crawled_once()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanner, key) = await api.CreateScannerAsync("edge");
        (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { capabilities = new[] { "portscan", "fingerprint", "screenshot", "crawler" } })).AssertOk();

        var portscan = await SweepAsync();

        var fingerprint = Assert.Single(await FollowUpsAsync(api, portscan));
        Assert.Equal("fingerprint", fingerprint.GetProperty("capability").GetString());
        Assert.Equal(["10.0.9.1", "10.0.9.2"], fingerprint.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("22,80,443", fingerprint.GetProperty("ports").GetString());
        Assert.False(fingerprint.GetProperty("automated").GetBoolean()); // an admin's scan: its follow-ups run now too
        var fingerprintId = fingerprint.GetProperty("id").GetInt64();
        var jobs = (await api.AdminAsync(Get, $"/api/jobs?scanId={fingerprintId}")).AssertOk().Json.GetProperty("jobs");
        Assert.All(jobs.EnumerateArray(), j => Assert.Equal("fingerprint", j.GetProperty("name").GetString()));

        // At least once: the listener told again about the same scan creates nothing more.
        var listener = daemon.App.Services.GetServices<IScanProcessedListener>().OfType<FollowUpScheduler>().Single();
        var summary = await new InventoryQueries(daemon.Service<RecordsDatabase>()).GetChangesAsync(portscan);
        await listener.OnScanProcessedAsync(new ScanProcessed(portscan, summary!), CancellationToken.None);
        await listener.OnScanProcessedAsync(new ScanProcessed(portscan, summary!), CancellationToken.None);
        Assert.Single(await FollowUpsAsync(api, portscan));

        await RunAsync(api, key, new
        {
            services = new object[]
            {
                new { ip = "10.0.9.1", port = 80, proto = "tcp", service = "http", product = "nginx", version = "1.22.1" },
                new { ip = "10.0.9.1", port = 443, proto = "tcp", service = "https", product = "nginx", version = "1.22.1" },
                new { ip = "10.0.9.2", port = 22, proto = "tcp", service = "ssh", product = "OpenSSH", version = "9.2p1" },
            },
        });
        await ProcessAsync(daemon);

        var followUps = await FollowUpsAsync(api, fingerprintId);
        // Every identified service gets the check catalogue; the web ones also a screenshot and a crawl.
        var vulnscan = Assert.Single(followUps, s => s.GetProperty("capability").GetString() == "vulnscan");
        Assert.Equal(["10.0.9.1", "10.0.9.2"], vulnscan.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
        var web = followUps.Where(s => s.GetProperty("capability").GetString() != "vulnscan").ToList();
        Assert.Equal(["crawler", "screenshot"], web.Select(s => s.GetProperty("capability").GetString()).Order(StringComparer.Ordinal));
        Assert.All(web, s =>
        {
            Assert.Equal(["10.0.9.1"], s.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal("80,443", s.GetProperty("ports").GetString());
        });

        // The screenshots and crawls end (nothing found), then the next run over the same targets finds the same
        // ports: nothing new, nothing followed up.
        foreach (var job in Api.JobIds(await api.ClaimAsync(key, "10")))
        {
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{job}/start")).AssertOk();
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{job}/complete", new { status = "completed" })).AssertOk();
        }

        var again = await SweepAsync();
        Assert.Empty(await FollowUpsAsync(api, again));

        // A port scan of the two hosts that finds the same three open ports every time, processed into the inventory.
        async Task<long> SweepAsync()
        {
            var scan = await api.CreateScanAsync(["10.0.9.1-10.0.9.2"], [scanner], ports: "22,80,443", name: "sweep");
            await RunAsync(api, key, new
            {
                results = new[]
                {
                    new { ip = "10.0.9.1", port = 80, proto = "tcp", state = "open", ttl = 64 },
                    new { ip = "10.0.9.1", port = 443, proto = "tcp", state = "open", ttl = 64 },
                    new { ip = "10.0.9.2", port = 22, proto = "tcp", state = "open", ttl = 64 },
                },
            });
            await ProcessAsync(daemon);
            return scan;
        }
    }

    [Fact]
    public async Task A_web_scan_screenshots_the_web_services_its_fingerprint_found()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scanner, key) = await api.CreateScannerAsync("edge");
        (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new { capabilities = new[] { "fingerprint", "screenshot", "crawler" } })).AssertOk();

        var webscan = (await api.AdminAsync(Post, "/api/assets/scan", new { ips = new[] { "10.0.9.5" }, action = "webscan", ports = "80,8080", scannerIds = new[] { scanner } }))
            .AssertOk(201).Json.GetProperty("id").GetInt64();
        await RunAsync(api, key, new
        {
            services = new object[]
            {
                new { ip = "10.0.9.5", port = 80, proto = "tcp", service = "http", product = "nginx", version = "1.22.1" },
                new { ip = "10.0.9.5", port = 8080, proto = "tcp", service = "closed" },
            },
        });
        await ProcessAsync(daemon);

        var webFollowUps = await FollowUpsAsync(api, webscan);
        Assert.Equal(["screenshot", "vulnscan"], webFollowUps.Select(s => s.GetProperty("capability").GetString()).Order(StringComparer.Ordinal));
        var screenshot = Assert.Single(webFollowUps, s => s.GetProperty("capability").GetString() == "screenshot");
        Assert.Equal(("screenshot", "webscan", "80"),
            (screenshot.GetProperty("capability").GetString(), screenshot.GetProperty("action").GetString(), screenshot.GetProperty("ports").GetString()));
    }

    /// <summary>Claims every job the scanner has, uploads <paramref name="results"/> to the first and completes them all, as a scanner would.</summary>
    private static async Task RunAsync(Api api, string key, object results) =>
        await RunJobsAsync(api, key, Api.JobIds(await api.ClaimAsync(key, "10")), results);

    private static async Task RunJobsAsync(Api api, string key, long[] jobs, object results)
    {
        Assert.NotEmpty(jobs);
        foreach (var job in jobs)
        {
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{job}/start")).AssertOk();
        }

        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobs[0]}/results", results)).AssertOk();
        foreach (var job in jobs)
        {
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{job}/complete", new { status = "completed" })).AssertOk();
        }
    }

    private static async Task ProcessAsync(Daemon daemon) => await daemon.Service<InventoryProcessor>().ProcessPendingAsync();

    private static async Task<List<System.Text.Json.JsonElement>> FollowUpsAsync(Api api, long of) =>
    [
        .. (await api.AdminAsync(Get, "/api/scans")).AssertOk().Json.GetProperty("scans").EnumerateArray()
            .Where(s => s.TryGetProperty("followUpOf", out var f) && f.ValueKind == System.Text.Json.JsonValueKind.Number && f.GetInt64() == of),
    ];
}
