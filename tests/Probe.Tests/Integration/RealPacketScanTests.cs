using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Outpost.Probe.Engine;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Tests.Integration;

/// <summary>Real frames through libpcap into a namespace per test. Needs root (CAP_NET_RAW, CAP_NET_ADMIN); fails loudly without.</summary>
public class RealPacketScanTests
{
    [Fact]
    public async Task Finds_exactly_the_open_ports_and_reports_the_closed_ones()
    {
        using var ns = NetworkNamespace.Create();
        int[] open = [22, 80, 1234, 5000];
        ns.Listen(ns.TargetAddress, open);

        var (summary, results) = await ScanAsync(ns.TargetAddress, "1-2000,5000", rate: 20_000, wait: 0.5);

        Assert.Equal(2001, summary.Sent);
        Assert.Equal(0, summary.Drops);
        Assert.Equal(open, results.Where(r => r.State == PortState.Open).Select(r => (int)r.Port.Value).Order());
        var closed = results.Where(r => r.State == PortState.Closed).Select(r => (int)r.Port.Value).ToHashSet();
        Assert.Equal(2001 - open.Length, closed.Count);
        Assert.DoesNotContain(closed, open.Contains);
        Assert.All(results, r => Assert.Equal(ns.Target, r.Address));
        Assert.All(results, r => Assert.Equal(64, r.Ttl));
        Assert.Equal(results.Count, results.Select(r => r.Port).Distinct().Count());
    }

    [Fact]
    public async Task Retries_do_not_duplicate_findings()
    {
        using var ns = NetworkNamespace.Create();
        ns.Listen(ns.TargetAddress, 443);
        var (summary, results) = await ScanAsync(ns.TargetAddress, "440-449", rate: 1000, wait: 0.3, sends: 3);
        Assert.Equal(30, summary.Sent);
        Assert.True(summary.Replies >= 30);
        Assert.Equal(10, results.Count);
        Assert.Single(results, r => r.State == PortState.Open && r.Port.Value == 443);
    }

    [Fact]
    public async Task A_silent_target_ends_within_the_wait_plus_half_a_second()
    {
        using var ns = NetworkNamespace.Create();
        ns.Silence();
        var clock = Stopwatch.StartNew();
        var (summary, results) = await ScanAsync(ns.TargetAddress, "1-200", rate: 10_000, wait: 1.0);
        clock.Stop();
        Assert.Empty(results);
        Assert.Equal(200, summary.Sent);
        Assert.Equal(0, summary.Replies);
        Assert.True(clock.Elapsed < summary.SendElapsed + TimeSpan.FromSeconds(1.5), $"took {clock.Elapsed.TotalSeconds:0.000} s for {summary.SendElapsed.TotalSeconds:0.000} s of sending");
    }

    [Fact]
    public async Task Scan_through_the_cli_on_loopback_prints_json_lines_and_a_summary()
    {
        using var ns = NetworkNamespace.Create();
        ns.EnableLoopbackScanning();
        ns.Listen("127.0.0.1", 7, 8080);
        var probe = Path.Combine(AppContext.BaseDirectory, "outpost-probe");
        var (code, stdout, stderr) = NetworkNamespace.Exec("ip", "netns", "exec", ns.Name, probe, "scan", "127.0.0.1", "-p", "1-100,8080", "--rate", "5000", "--wait", "0.3", "--json", "--allow-loopback");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var found = lines.Select(l => JsonDocument.Parse(l).RootElement).OrderBy(e => e.GetProperty("port").GetInt32()).ToList();
        Assert.Equal([7, 8080], found.Select(e => e.GetProperty("port").GetInt32()));
        Assert.All(found, e =>
        {
            Assert.Equal("127.0.0.1", e.GetProperty("ip").GetString());
            Assert.Equal("tcp", e.GetProperty("proto").GetString());
            Assert.Equal("open", e.GetProperty("state").GetString());
            Assert.Equal(64, e.GetProperty("ttl").GetInt32());
        });
        Assert.Contains("summary: sent=101 replies=101 open=2 closed=99 drops=0", stderr, StringComparison.Ordinal);
        Assert.Contains("interface=lo", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Loopback_without_the_sysctls_is_explained()
    {
        using var ns = NetworkNamespace.Create();
        var probe = Path.Combine(AppContext.BaseDirectory, "outpost-probe");
        var (code, _, stderr) = NetworkNamespace.Exec("ip", "netns", "exec", ns.Name, probe, "scan", "127.0.0.1", "-p", "1-5", "--rate", "1000", "--wait", "0.1", "--allow-loopback");
        Assert.Equal(0, code);
        Assert.Contains("warning: scanning through lo needs sysctl net.ipv4.conf.lo.route_localnet=1", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_cap_net_raw_the_cli_says_so_in_one_line_and_fails()
    {
        var probe = Path.Combine(AppContext.BaseDirectory, "outpost-probe");
        var (code, stdout, stderr) = NetworkNamespace.Exec("capsh", "--drop=cap_net_raw", "--", "-c", $"exec '{probe}' scan 127.0.0.1 -p 1-10 --rate 100 --wait 0 --allow-loopback");
        Assert.True(code == 77, $"expected exit 77 (no CAP_NET_RAW), got {code}; stderr:\n{stderr}");
        Assert.Empty(stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("CAP_NET_RAW", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_targets_are_a_usage_error()
    {
        var probe = Path.Combine(AppContext.BaseDirectory, "outpost-probe");
        var (code, _, stderr) = NetworkNamespace.Exec(probe, "scan", "10.0.0.5/24", "-p", "80", "--rate", "1");
        Assert.Equal(2, code);
        Assert.Contains("host bits set", stderr, StringComparison.Ordinal);
    }

    internal static async Task<(ScanSummary Summary, List<ScanResult> Results)> ScanAsync(string target, string ports, double rate, double wait, int sends = 1)
    {
        Assert.True(TargetSet.TryParse([target], ports, out var set, out var error), error);
        var results = new ConcurrentQueue<ScanResult>();
        var request = new ScanRequest(set!) { ProbesPerSecond = rate, Wait = TimeSpan.FromSeconds(wait), Sends = sends };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var summary = await new ProbeScanner().RunAsync(request, new DelegateScanObserver(results.Enqueue), timeout.Token);
        Assert.False(summary.Cancelled, "the scan hit the test's 30 s bound");
        return (summary, results.ToList());
    }
}
