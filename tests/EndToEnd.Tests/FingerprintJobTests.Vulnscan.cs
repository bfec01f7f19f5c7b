using System.Globalization;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Vulnscan;
using Outpost.Probe.Jobs;
using Outpost.Probe.Node;

namespace Outpost.EndToEnd.Tests;

/// <summary>
/// The vulnscan capability end to end (docs/vulnscan.md), next to the fingerprint job it builds on: the built-in
/// scanner checks a real redis-server without a password on loopback (127.0.0.23) and the vulnerability is listed;
/// a remote node's upload (the wire JSON of <see cref="HttpScannerProtocol"/>) reaches the ledger the same way.
/// </summary>
public sealed partial class FingerprintJobTests
{
    [Fact]
    public async Task The_built_in_scanner_runs_vulnscan_against_a_redis_server_without_a_password_and_the_vulnerability_is_listed()
    {
        await using var redis = await LoopbackRedis.StartAsync();
        var port = redis.Port;
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory, environment: FastPolling, builtInScanner: true);
        using var api = new Api(daemon.BaseAddress);
        var localId = await WaitForCapabilityAsync(api, daemon, "vulnscan");

        var scanId = (await api.AdminAsync(HttpMethod.Post, "/api/scans", new
        {
            name = "vulnscan e2e", capability = "vulnscan", targets = new[] { Address }, ports = port.ToString(CultureInfo.InvariantCulture),
            scannerIds = new[] { localId }, maxProbesPerSecond = 100,
        })).AssertOk(201).Json.GetProperty("id").GetInt64();
        // Past "processing" too: the inventory has taken the scan's results in.
        var scan = await Scans.WaitAsync(api, scanId, Scans.Ended, TimeSpan.FromSeconds(90), () => daemon.Output);

        Assert.True(Scans.Is(scan, "completed"), $"{scan}\n{daemon.Output}");
        var found = Assert.Single((await api.AdminAsync(HttpMethod.Get, "/api/vulnerabilities")).AssertOk().Json.GetProperty("vulnerabilities").EnumerateArray());
        Assert.Equal(("redis-no-auth", Address, port, "critical", "open"),
            (found.GetProperty("checkId").GetString(), found.GetProperty("ip").GetString(), found.GetProperty("port").GetInt32(),
                found.GetProperty("severity").GetString(), found.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task A_nodes_vulnscan_upload_reaches_the_ledger()
    {
        await using var daemon = await Daemon.StartAsync();
        var (scannerId, key) = await daemon.Api.CreateScannerAsync("node");
        using var protocol = new HttpScannerProtocol(daemon.BaseAddress, key, attribution: "e2e");
        await protocol.HeartbeatAsync([], CapabilityRegistry.Create(new CapabilitySettings()).Available(), CancellationToken.None);
        (await daemon.Api.AdminAsync(HttpMethod.Post, "/api/scans",
            new { name = "vs", capability = "vulnscan", targets = new[] { "10.85.2.2" }, ports = "21", scannerIds = new[] { scannerId } })).AssertOk(201);
        var job = Assert.Single(await protocol.ClaimAsync(1, CancellationToken.None));
        Assert.Equal(JobReply.Ok, await protocol.StartAsync(job.JobId, CancellationToken.None));

        var checkedService = new ServiceVulnerabilities
        {
            Ip = "10.85.2.2", Port = 21, CheckIds = ["cleartext-ftp", "ftp-anonymous-login"],
            Found = [new VulnerabilityFinding("ftp-anonymous-login", "FTP server accepts anonymous logins", "medium", "reply: 230 Login successful.", "Disable it.",
                ["https://www.rfc-editor.org/rfc/rfc1635"])],
        };
        Assert.Equal(JobReply.Ok, await protocol.UploadAsync(job.JobId, [checkedService], CancellationToken.None));

        var found = Assert.Single((await daemon.Api.AdminAsync(HttpMethod.Get, "/api/vulnerabilities")).AssertOk().Json.GetProperty("vulnerabilities").EnumerateArray());
        Assert.Equal(("ftp-anonymous-login", "10.85.2.2", 21, "reply: 230 Login successful.", "https://www.rfc-editor.org/rfc/rfc1635"),
            (found.GetProperty("checkId").GetString(), found.GetProperty("ip").GetString(), found.GetProperty("port").GetInt32(), found.GetProperty("evidence").GetString(),
                found.GetProperty("references")[0].GetString()));
    }
}
