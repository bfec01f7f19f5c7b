using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;

namespace Outpost.EndToEnd.Tests;

/// <summary>The appliance dies under a running scan (kill -9) and comes back on the same data: the node carries on.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task After_kill_9_and_restart_the_node_reconnects_and_the_scan_completes_with_all_findings()
    {
        using var network = TargetNetwork.Create(22, 80, 350);
        using var directory = new TempDirectory();
        var urls = $"http://127.0.0.1:{Scans.FreePort()}";
        var daemon = await DaemonProcess.StartAsync(directory, urls);
        try
        {
            using var api = new Api(daemon.BaseAddress);
            var (scannerId, key) = await api.CreateScannerAsync("node-crash");
            using var node = ProbeNodeProcess.Start(daemon.BaseAddress, key, directory.Path);

            // 65 addresses × 400 ports at 2 500 probes/s: about ten seconds of probing, so the kill lands mid-scan.
            var scanId = await api.CreateScanAsync(network.Targets, [scannerId], "1-400", maxProbesPerSecond: 2500, name: "crash e2e");
            await Scans.WaitAsync(api, scanId, s => s.GetProperty("progressCount").GetInt64() > 0, TimeSpan.FromSeconds(30), () => node.Output);

            daemon.KillHard();
            daemon.Dispose();
            await node.WaitForOutputAsync("unreachable", TimeSpan.FromSeconds(30));
            daemon = await DaemonProcess.StartAsync(directory, urls);

            var scan = await Scans.WaitAsync(api, scanId, Scans.Ended, TimeSpan.FromSeconds(90), () => node.Output + "\n" + daemon.Output);
            Assert.True(Scans.Is(scan, "completed"), $"{scan}\n{node.Output}");
            Assert.Equal(network.ExpectedOpen, await Scans.OpenPortsAsync(api, scanId));
            Scans.AssertAllJobsCompleted(scan);
            Assert.Equal(TargetNetwork.AddressCount, scan.GetProperty("progressCount").GetInt64());
            // The node noticed the outage and retried, rather than giving up on the job or its findings.
            Assert.Contains("retrying in", node.Output, StringComparison.Ordinal);
        }
        finally
        {
            daemon.Dispose();
        }
    }
}
