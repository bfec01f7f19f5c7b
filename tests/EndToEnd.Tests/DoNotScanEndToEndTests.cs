using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;
using Outpost.Probe.Tests.Guard;

namespace Outpost.EndToEnd.Tests;

/// <summary>
/// The do-not-scan list end to end (docs/admin-api.md, "Do-not-scan list"): the daemon and an <c>outpost-probe node</c> as
/// processes, the list edited through the admin API while the node probes a namespace the test creates, and a capture
/// inside that namespace. Needs root (namespaces, CAP_NET_RAW); fails loudly without.
/// </summary>
public sealed class DoNotScanEndToEndTests
{
    private const int Ports = 60;

    [Fact]
    public async Task No_frame_reaches_what_the_list_names_including_an_entry_added_mid_scan()
    {
        using var lab = DoNotScanLab.Create();
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory);
        using var api = new Api(daemon.BaseAddress);
        var endpoint = (lab.Prefix + "5", 22);
        var wholeHost = lab.Prefix + "9";
        await PutExclusionsAsync(api, $"{endpoint.Item1}:{endpoint.Item2}", wholeHost);
        var (scannerId, key) = await api.CreateScannerAsync("dn-node");
        using var node = ProbeNodeProcess.Start(daemon.BaseAddress, key, directory.Path);

        // 7 hosts (one is cut out at planning) × 60 ports at 40 probes/s: about ten seconds, so the edit lands mid-scan.
        var scanId = await api.CreateScanAsync([$"{lab.FirstTarget}-{lab.LastTarget}"], [scannerId], "20-79", maxProbesPerSecond: 40, name: "dn e2e");
        var job = (await api.AdminAsync(HttpMethod.Get, $"/api/jobs?scanId={scanId}")).AssertOk().Json.GetProperty("jobs")[0];
        Assert.DoesNotContain(job.GetProperty("targets").EnumerateArray(), t => t.GetProperty("cidr").GetString()!.Contains(wholeHost, StringComparison.Ordinal));

        await lab.WaitForSynsAsync(40, TimeSpan.FromSeconds(30));
        var edited = lab.Prefix + "4";
        var sentBeforeEdit = lab.Syns.Count(s => s.Address == edited);
        Assert.True(sentBeforeEdit < Ports, "the scan had already probed every port of the address before the edit");
        await PutExclusionsAsync(api, $"{endpoint.Item1}:{endpoint.Item2}", wholeHost, edited);
        await node.WaitForOutputAsync("the do-not-scan list was edited", TimeSpan.FromSeconds(15));
        var appliedAt = lab.SynCount;

        var scan = await Scans.WaitAsync(api, scanId, Scans.Ended, TimeSpan.FromSeconds(60), () => node.Output + "\n" + daemon.Output);
        Assert.True(Scans.Is(scan, "completed"), $"{scan}\n{node.Output}");
        var syns = await lab.WaitForSynsAsync(int.MaxValue, TimeSpan.FromSeconds(1));

        Assert.DoesNotContain(syns, s => s == endpoint);
        Assert.DoesNotContain(syns, s => s.Address == wholeHost);
        Assert.Contains(syns, s => s.Address == endpoint.Item1 && s.Port == 23);
        // The node logs the edit once the engine has it; a batch built just before may still leave.
        Assert.True(syns.Count > appliedAt + 64, $"the scan ended before the edit could show ({syns.Count} frames, applied at {appliedAt})");
        Assert.DoesNotContain(syns.Skip(appliedAt + 64), s => s.Address == edited);
        Assert.True(syns.Count(s => s.Address == edited) < Ports, node.Output);
    }

    private static async Task PutExclusionsAsync(Api api, params string[] targets) =>
        (await api.AdminAsync(HttpMethod.Put, "/api/settings/scan", new { exclusions = targets.Select(t => new { target = t }).ToArray() })).AssertOk();
}
