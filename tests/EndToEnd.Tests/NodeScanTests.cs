using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;

namespace Outpost.EndToEnd.Tests;

/// <summary>
/// The product end to end: the daemon as a process on loopback, an <c>outpost-probe node</c> process registered
/// through the admin API, real SYN probes into the test's namespace. Needs root (namespaces, CAP_NET_RAW); fails
/// loudly without.
/// </summary>
public sealed class NodeScanTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_node_claims_probes_and_uploads_exactly_the_open_ports()
    {
        using var network = TargetNetwork.Create(22, 80, 1050);
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory);
        using var api = new Api(daemon.BaseAddress);
        var (scannerId, key) = await api.CreateScannerAsync("node-e2e");
        using var node = ProbeNodeProcess.Start(daemon.BaseAddress, key, directory.Path, "--attribution", "Outpost e2e test; security@example.test");

        var scanId = await api.CreateScanAsync(network.Targets, [scannerId], "22,80,443,1000-1100", maxProbesPerSecond: 5000, name: "e2e");
        var scan = await Scans.WaitAsync(api, scanId, Scans.Ended, Deadline, () => node.Output + "\n" + daemon.Output);

        Assert.True(Scans.Is(scan, "completed"), $"{scan}\n{node.Output}");
        Assert.Equal(network.ExpectedOpen, await Scans.OpenPortsAsync(api, scanId));
        Scans.AssertAllJobsCompleted(scan);
        Assert.Equal(TargetNetwork.AddressCount, scan.GetProperty("addressCount").GetInt64());
        Assert.Equal(TargetNetwork.AddressCount, scan.GetProperty("progressCount").GetInt64());
        Assert.Equal(network.ExpectedOpen.Count, scan.GetProperty("resultCount").GetInt64());

        // The node identified itself: its heartbeat recorded its address and version.
        var scanner = Scans.Scanner((await api.AdminAsync(HttpMethod.Get, "/api/scanners")).AssertOk().Json, scannerId);
        Assert.True(scanner.GetProperty("online").GetBoolean(), scanner.ToString());
        Assert.Equal("127.0.0.1", scanner.GetProperty("sourceIp").GetString());
        Assert.False(string.IsNullOrEmpty(scanner.GetProperty("version").GetString()));

        // SIGTERM with nothing running: a clean, prompt exit.
        node.Terminate();
        Assert.True(await node.WaitForExitAsync(TimeSpan.FromSeconds(20)), node.Output);
        Assert.Equal(0, node.ExitCode);
        Assert.Contains("node stopped", node.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_key_is_logged_and_retried_with_backoff_not_in_a_tight_loop()
    {
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory);
        using var node = ProbeNodeProcess.Start(daemon.BaseAddress, "osk_not-a-key", directory.Path);

        await node.WaitForOutputAsync("401", TimeSpan.FromSeconds(30));
        var started = DateTime.UtcNow;
        // Four refusals take at least 0.25 + 0.25 + 0.5 + 1 s with the backoff's floor; a tight loop would log hundreds.
        while (node.Output.Split('\n').Count(l => l.Contains("401", StringComparison.Ordinal)) < 4)
        {
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), node.Output);
            await Task.Delay(100);
        }

        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1), node.Output);
        Assert.Contains("check the API key", node.Output, StringComparison.Ordinal);
        Assert.False(node.HasExited, node.Output);
    }
}
