using System.Text.Json;
using Outpost.Appliance.Planning;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Store.Model;

namespace Outpost.Appliance.Tests;

/// <summary>
/// The do-not-scan list (docs/admin-api.md, "Do-not-scan list"): saved in the scan settings, cut out of a scan's jobs
/// when it is planned, carried in the claimed job and sent again with every progress reply so an edit reaches a
/// running job.
/// </summary>
public sealed class DoNotScanTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly HttpMethod Put = HttpMethod.Put;

    [Fact]
    public async Task Exclusions_are_saved_normalised_and_malformed_ones_are_400_changing_nothing()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        Assert.Empty((await api.AdminAsync(Get, "/api/settings/scan")).AssertOk().Json.GetProperty("exclusions").EnumerateArray());

        var saved = (await api.AdminAsync(Put, "/api/settings/scan", new
        {
            exclusions = new object[]
            {
                new { target = " 10.0.0.0/24 " },
                new { target = "10.0.1.5:22", pool = " dc-frankfurt " },
                new { target = "10.0.2.1-10.0.2.9", pool = "" },
            },
        })).AssertOk().Json;
        var exclusions = saved.GetProperty("exclusions");
        Assert.Equal(["10.0.0.0/24", "10.0.1.5:22", "10.0.2.1-10.0.2.9"], exclusions.EnumerateArray().Select(e => e.GetProperty("target").GetString()));
        Assert.Equal([null, "dc-frankfurt", null], exclusions.EnumerateArray().Select(e => e.GetProperty("pool").GetString()));
        Assert.Equal(saved.ToString(), (await api.AdminAsync(Get, "/api/settings/scan")).Json.ToString());

        (string Body, string Message)[] bad =
        [
            ("{\"exclusions\":[{\"target\":\"10.0.0.5/24\"}]}", "exclusions[0].target: Target '10.0.0.5/24' has host bits set; the network is 10.0.0.0/24."),
            ("{\"exclusions\":[{\"target\":\"10.0.0.0/24:22\"}]}", "exclusions[0].target: '10.0.0.0/24:22' is not an address with a port such as 10.0.0.5:22 (a port excludes one address, not a block)."),
            ("{\"exclusions\":[{\"target\":\"10.0.0.5:0\"}]}", "exclusions[0].target: The port in '10.0.0.5:0' must be a number from 1 to 65535."),
            ("{\"exclusions\":[{\"target\":\"10.0.0.1\"},{\"target\":\"\"}]}", "exclusions[1].target: The target is empty; expected an IPv4 address, a CIDR block such as 10.0.0.0/24, or a range such as 10.0.0.1-10.0.0.50."),
            ("{\"exclusions\":[null]}", "exclusions[0] is null."),
            ("{\"exclusions\":[{\"target\":\"10.0.0.1\",\"pool\":\"" + new string('p', 65) + "\"}]}", "exclusions[0].pool must be at most 64 printable ASCII characters (or absent for every scanner)."),
        ];
        var before = await api.SnapshotAsync();
        foreach (var (body, message) in bad)
        {
            var reply = (await api.AdminAsync(Put, "/api/settings/scan", body)).AssertError(400, "BAD_REQUEST");
            Assert.Equal(message, reply.Json.GetProperty("error").GetProperty("message").GetString());
        }

        foreach (var body in new[] { "{\"exclusions\":\"10.0.0.1\"}", "{\"exclusions\":[{\"target\":5}]}", "{\"exclusions\":[{\"pool\":\"a\"}]}" })
        {
            (await api.AdminAsync(Put, "/api/settings/scan", body)).AssertError(400, "BAD_REQUEST");
        }

        Assert.Equal(before, await api.SnapshotAsync());
    }

    [Fact]
    public void Planning_cuts_whole_addresses_out_of_each_job_for_its_scanner_and_keeps_endpoints_for_the_engine()
    {
        var settings = new ScanSettings
        {
            Exclusions =
            [
                new Exclusion("10.0.0.16/28", null),
                new Exclusion("10.0.0.200-10.0.1.10", null),
                new Exclusion("10.0.0.7:22", null),
                new Exclusion("10.0.1.0/25", "edge"),
            ],
        };
        var spec = new ScanSpec { Name = "s", Targets = ["10.0.0.0/23"], Ports = "22", ScannerIds = [1, 2] };

        var jobs = ScanPlanner.Split(spec, settings, [Scanner(1, "core"), Scanner(2, "EDGE")], []);

        Assert.Equal(2, jobs.Count);
        Assert.Equal(1, jobs[0].ScannerId);
        Assert.Equal(["10.0.0.0/28", "10.0.0.32-10.0.0.199"], Cidrs(jobs[0]));
        // Scanner "EDGE" also has the entries of pool "edge" (names compare case-insensitively).
        Assert.Equal(2, jobs[1].ScannerId);
        Assert.Equal(["10.0.1.128/25"], Cidrs(jobs[1]));
    }

    [Fact]
    public void A_job_left_with_no_address_is_not_made()
    {
        var settings = new ScanSettings { Exclusions = [new Exclusion("10.0.0.0/24", "core")] };
        var spec = new ScanSpec { Name = "s", Targets = ["10.0.0.0/23"], Ports = "22", ScannerIds = [1] };

        var job = Assert.Single(ScanPlanner.Split(spec, settings, [Scanner(1, "core")], []));
        Assert.Equal(["10.0.1.0/24"], Cidrs(job));
        Assert.Empty(ScanPlanner.Split(spec with { Targets = ["10.0.0.0/25"] }, settings, [Scanner(1, "core")], []));
    }

    [Theory]
    [InlineData(null, "core", true)]
    [InlineData("core", "core", true)]
    [InlineData("Core", "cORE", true)]
    [InlineData("edge", "core", false)]
    public void An_entry_binds_every_scanner_or_the_scanners_of_its_pool(string? pool, string scanner, bool applies) =>
        Assert.Equal(applies, DoNotScan.AppliesTo(new Exclusion("10.0.0.1", pool), Scanner(1, scanner)));

    [Fact]
    public async Task A_scan_whose_every_target_is_excluded_is_refused()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        (await api.AdminAsync(Put, "/api/settings/scan", new { exclusions = new[] { new { target = "10.9.0.0/16" } } })).AssertOk();
        var (id, _) = await api.CreateScannerAsync("s1");
        var before = await api.SnapshotAsync();

        var reply = (await api.AdminAsync(Post, "/api/scans", new { name = "x", targets = new[] { "10.9.1.0/24" }, ports = "22", scannerIds = new[] { id } }))
            .AssertError(400, "BAD_REQUEST");

        Assert.Contains("do-not-scan list", reply.Json.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await api.SnapshotAsync());
    }

    [Fact]
    public async Task The_claim_carries_the_list_and_a_progress_reply_carries_an_edit()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        (await api.AdminAsync(Put, "/api/settings/scan", new
        {
            exclusions = new object[] { new { target = "10.0.0.9:443" }, new { target = "10.0.0.10", pool = "other" } },
        })).AssertOk();
        var (id, key) = await api.CreateScannerAsync("s1");
        await api.CreateScanAsync(["10.0.0.0/24"], [id]);

        var claim = (await api.ClaimAsync(key)).AssertOk().Json.GetProperty("jobs")[0];
        Assert.Equal(["10.0.0.9:443"], Strings(claim.GetProperty("exclude")));
        var jobId = claim.GetProperty("jobId").GetInt64();
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        var progress = (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/progress", new { progressCount = 1, resultCount = 0 })).AssertOk().Json;
        Assert.Equal(["10.0.0.9:443"], Strings(progress.GetProperty("exclude")));

        (await api.AdminAsync(Put, "/api/settings/scan", new
        {
            exclusions = new object[] { new { target = "10.0.0.128/25" }, new { target = "10.0.0.10", pool = "s1" } },
        })).AssertOk();
        progress = (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/progress", new { progressCount = 2, resultCount = 0 })).AssertOk().Json;
        Assert.Equal(["10.0.0.128/25", "10.0.0.10"], Strings(progress.GetProperty("exclude")));
        Assert.False(progress.TryGetProperty("stop", out _));
    }

    private static Scanner Scanner(long id, string name) =>
        new() { Id = id, Name = name, ApiKeyHash = [], AllowedCidrs = [], Enabled = true, CreatedAt = DateTimeOffset.UnixEpoch };

    private static string[] Cidrs(NewJob job) => [.. job.Targets.Select(t => t.Cidr)];

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
