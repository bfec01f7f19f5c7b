using System.Diagnostics;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;

namespace Outpost.EndToEnd.Tests;

/// <summary>Stopping mid-scan: by an admin (the scan becomes stopped) and by SIGTERM to the node (the job fails, saying so).</summary>
public sealed class StopTests
{
    // 65 addresses × 1 000 ports at 2 000 probes/s: half a minute of probing, far longer than a stop may take.
    private const string Ports = "1-1000";
    private const int Rate = 2000;

    [Fact]
    public async Task Stopping_a_scan_ends_the_probing_within_seconds_and_the_scan_becomes_stopped()
    {
        using var network = TargetNetwork.Create(22);
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory);
        using var api = new Api(daemon.BaseAddress);
        var (scannerId, key) = await api.CreateScannerAsync("node-stop");
        using var node = ProbeNodeProcess.Start(daemon.BaseAddress, key, directory.Path);

        var scanId = await api.CreateScanAsync(network.Targets, [scannerId], Ports, maxProbesPerSecond: Rate, name: "stop e2e");
        await Scans.WaitAsync(api, scanId, s => s.GetProperty("progressCount").GetInt64() > 0, TimeSpan.FromSeconds(30), () => node.Output);

        var clock = Stopwatch.StartNew();
        (await api.AdminAsync(HttpMethod.Post, $"/api/scans/{scanId}/stop")).AssertOk();
        var scan = await Scans.WaitAsync(api, scanId, s => Scans.Is(s, "stopped"), TimeSpan.FromSeconds(15), () => node.Output);
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"stopping took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(scan.GetProperty("progressCount").GetInt64() < TargetNetwork.AddressCount, scan.ToString());
        // The node logs the stop once its complete call has returned, which may be just after the scan shows stopped.
        await node.WaitForOutputAsync("stopped by the appliance: True", TimeSpan.FromSeconds(10));
        // Whatever was found before the stop is kept, and only real open ports.
        Assert.All(await Scans.OpenPortsAsync(api, scanId), f => Assert.Contains(f, network.ExpectedOpen));
    }

    [Fact]
    public async Task Sigterm_stops_the_probing_reports_the_job_as_interrupted_and_exits()
    {
        using var network = TargetNetwork.Create(22);
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory);
        using var api = new Api(daemon.BaseAddress);
        var (scannerId, key) = await api.CreateScannerAsync("node-sigterm");
        using var node = ProbeNodeProcess.Start(daemon.BaseAddress, key, directory.Path);

        var scanId = await api.CreateScanAsync(network.Targets, [scannerId], Ports, maxProbesPerSecond: Rate, name: "sigterm e2e");
        await Scans.WaitAsync(api, scanId, s => s.GetProperty("progressCount").GetInt64() > 0, TimeSpan.FromSeconds(30), () => node.Output);

        node.Terminate();
        Assert.True(await node.WaitForExitAsync(TimeSpan.FromSeconds(20)), node.Output);
        Assert.Equal(0, node.ExitCode);

        var scan = await api.ScanAsync(scanId);
        Assert.True(Scans.Is(scan, "failed"), $"{scan}\n{node.Output}");
        var jobs = (await api.AdminAsync(HttpMethod.Get, $"/api/jobs?q=sigterm&since=2000-01-01T00:00:00Z")).AssertOk().Json.GetProperty("jobs");
        var job = Assert.Single(jobs.EnumerateArray());
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.StartsWith("interrupted: the scanner shut down", job.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
    }
}
