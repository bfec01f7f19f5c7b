using System.Collections.Concurrent;
using Outpost.Probe.Capture;
using Outpost.Probe.Engine;
using Outpost.Probe.Packets;
using Outpost.Probe.Routing;
using Outpost.Probe.Targets;
using Outpost.Probe.Tests.Throttle;
using Outpost.Probe.Throttle;

namespace Outpost.Probe.Tests.Engine;

/// <summary>
/// The engine's cursor (docs/probe-engine.md): a scan cut short reports the position below which every probe was
/// sent, and a second run from that position with the same seed sends exactly the rest — together every probe once.
/// </summary>
public class ResumeScanTests
{
    private static readonly Route Route = new("sim0", new Ipv4H(0x0A4D0001), new MacAddress(1), new MacAddress(2), null, false);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task A_scan_cut_short_and_resumed_at_its_cursor_sends_every_probe_exactly_once(int threads)
    {
        Assert.True(TargetSet.TryParse(["10.0.0.0/26"], "1-100", out var set, out _));
        const ulong Seed = 0x5EED;
        var firstNetwork = new SimulatedNetworkDevice((_, _) => SimulatedAnswer.Closed) { RecordProbes = true };
        var first = new ProbeScanner(firstNetwork, new FixedRouteResolver(Route), TimeProvider.System, SystemSleeper.Instance);
        using var cancel = new CancellationTokenSource();
        var progress = new ConcurrentQueue<ScanProgress>();
        var request = new ScanRequest(set!)
        {
            Seed = Seed,
            SendThreads = threads,
            ProbesPerSecond = 2_000,
            Wait = TimeSpan.Zero,
            ProgressInterval = TimeSpan.FromMilliseconds(20),
        };
        var summary = await first.RunAsync(request, new DelegateScanObserver(null, p =>
        {
            progress.Enqueue(p);
            if (p.Cursor >= 1000)
            {
                cancel.Cancel();
            }
        }), cancel.Token);
        Assert.True(summary.Cancelled);
        var cursors = progress.Select(p => p.Cursor).ToList();
        Assert.Equal(cursors.Order(), cursors);
        var cursor = cursors[^1];
        // After the scan has ended nothing is in flight: the cursor is exactly what was sent.
        Assert.Equal(summary.Sent, cursor);
        Assert.InRange(cursor, 1000, (long)set!.Count - 1);

        var secondNetwork = new SimulatedNetworkDevice((_, _) => SimulatedAnswer.Closed) { RecordProbes = true };
        var second = new ProbeScanner(secondNetwork, new FixedRouteResolver(Route), TimeProvider.System, SystemSleeper.Instance);
        var last = default(ScanProgress);
        var rest = await second.RunAsync(request with { ResumeFrom = (ulong)cursor, ProbesPerSecond = 0 }, new DelegateScanObserver(null, p => last = p));
        Assert.False(rest.Cancelled);
        Assert.Equal((long)set.Count - cursor, rest.Sent);
        Assert.Equal((long)set.Count, last.Cursor);

        // The two runs together: every (address, port) once; the second run sent none of the first run's probes.
        var all = firstNetwork.Probes.Concat(secondNetwork.Probes).ToList();
        Assert.Equal((int)set.Count, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public async Task A_resume_at_the_end_sends_nothing()
    {
        Assert.True(TargetSet.TryParse(["10.0.0.1"], "22,80", out var set, out _));
        var network = new SimulatedNetworkDevice((_, _) => SimulatedAnswer.Closed) { RecordProbes = true };
        var scanner = new ProbeScanner(network, new FixedRouteResolver(Route), TimeProvider.System, new FakeClock());
        var summary = await scanner.RunAsync(new ScanRequest(set!) { Seed = 1, ResumeFrom = 2, Wait = TimeSpan.Zero }, new DelegateScanObserver(null));
        Assert.Equal(0, summary.Sent);
        Assert.Empty(network.Probes);
    }
}
