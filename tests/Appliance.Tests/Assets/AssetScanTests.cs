using Outpost.Appliance.Assets;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Probe.Targets;

namespace Outpost.Appliance.Tests.Assets;

/// <summary><c>POST /api/assets/scan</c> (docs/assets-page.md, "Scan actions") over real HTTP: bad input is a 400 that changes nothing; each action starts its scan.</summary>
public sealed class AssetScanTests
{
    private static readonly HttpMethod Post = HttpMethod.Post;

    [Theory]
    [InlineData("{\"ips\":[\"10.0.0.1\"]}")]
    [InlineData("{\"ips\":[\"10.0.0.1\"],\"action\":\"nuke\"}")]
    [InlineData("{\"ips\":[],\"action\":\"portscan\"}")]
    [InlineData("{\"action\":\"portscan\"}")]
    [InlineData("{\"ips\":[\"10.0.0.0/24\"],\"action\":\"portscan\"}")]
    [InlineData("{\"ips\":[\"10.0.0.256\"],\"action\":\"portscan\"}")]
    [InlineData("{\"ips\":[\"web01\"],\"action\":\"portscan\"}")]
    [InlineData("{\"ips\":[null],\"action\":\"portscan\"}")]
    [InlineData("{\"ips\":[\"10.0.0.1\"],\"action\":\"portscan\",\"ports\":\"70000\"}")]
    [InlineData("{\"ips\":[\"10.0.0.1\"],\"action\":\"portscan\",\"scannerIds\":[999]}")]
    [InlineData("{\"ips\":[\"10.0.0.1\"],\"action\":\"portscan\",\"scannerIds\":[]}")]
    [InlineData("{\"ips\":\"10.0.0.1\",\"action\":\"portscan\"}")]
    [InlineData("{\"ips\":[\"10.0.0.1\"],\"action\":\"portscan\"")]
    public async Task Bad_scan_actions_are_400_and_change_nothing(string body)
    {
        await using var daemon = await Daemon.StartAsync();
        await daemon.Api.CreateScannerAsync("local");
        var before = await daemon.Api.SnapshotAsync();

        (await daemon.Api.AdminAsync(Post, "/api/assets/scan", body)).AssertError(400, "BAD_REQUEST");

        Assert.Equal(before, await daemon.Api.SnapshotAsync());
    }

    [Fact]
    public async Task Without_a_built_in_scanner_the_request_must_name_scanners()
    {
        await using var daemon = await Daemon.StartAsync();
        var before = await daemon.Api.SnapshotAsync();

        var error = (await daemon.Api.AdminAsync(Post, "/api/assets/scan", new { ips = new[] { "10.0.0.1" }, action = "portscan" })).AssertError(400, "BAD_REQUEST");

        Assert.Contains("scannerIds", error.Body, StringComparison.Ordinal);
        Assert.Equal(before, await daemon.Api.SnapshotAsync());
    }

    [Theory]
    [InlineData("comprehensive", "Comprehensive Scan", "portscan")]
    [InlineData("portscan", "Port Scan", "portscan")]
    [InlineData("webscan", "Web Scan", "fingerprint")]
    [InlineData("webcrawl", "Web Crawl", "crawler")]
    public async Task A_scan_action_starts_a_manual_scan_of_the_assets_on_the_built_in_scanner(string action, string name, string capability)
    {
        await using var daemon = await Daemon.StartAsync();
        var (builtIn, _) = await daemon.Api.CreateScannerAsync("local");
        await daemon.Api.CreateScannerAsync("edge");

        var scan = (await daemon.Api.AdminAsync(Post, "/api/assets/scan", new { ips = new[] { "10.0.0.9", " 10.0.0.7", "10.0.0.9" }, action })).AssertOk(201).Json;

        Assert.Equal(name, scan.GetProperty("name").GetString());
        Assert.Equal("running", scan.GetProperty("status").GetString());
        Assert.Equal(capability, scan.GetProperty("capability").GetString());
        Assert.Equal(action, scan.GetProperty("action").GetString());
        Assert.True(PortList.TryParse(AssetScanActions.DefaultPorts(action), out var ports, out _));
        Assert.Equal(ports!.ToString(), scan.GetProperty("ports").GetString());
        Assert.False(scan.GetProperty("automated").GetBoolean()); // manual: scan windows and the pause do not hold it
        Assert.Equal(["10.0.0.9", "10.0.0.7"], scan.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal([builtIn], scan.GetProperty("scannerIds").EnumerateArray().Select(s => s.GetInt64()));
        var jobs = (await daemon.Api.AdminAsync(HttpMethod.Get, $"/api/jobs?scanId={scan.GetProperty("id").GetInt64()}")).AssertOk().Json.GetProperty("jobs");
        Assert.All(jobs.EnumerateArray(), j => Assert.Equal(capability, j.GetProperty("name").GetString()));
        Assert.NotEqual(0, jobs.GetArrayLength());
    }

    [Fact]
    public async Task Ports_and_scanners_can_be_named()
    {
        await using var daemon = await Daemon.StartAsync();
        var (edge, _) = await daemon.Api.CreateScannerAsync("edge");

        var scan = (await daemon.Api.AdminAsync(Post, "/api/assets/scan", new { ips = new[] { "10.0.0.7" }, action = "portscan", ports = "22,8080-8081", scannerIds = new[] { edge } }))
            .AssertOk(201).Json;

        Assert.Equal("22,8080-8081", scan.GetProperty("ports").GetString());
        Assert.Equal([edge], scan.GetProperty("scannerIds").EnumerateArray().Select(s => s.GetInt64()));
    }
}
