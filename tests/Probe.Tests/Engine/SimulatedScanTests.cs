using System.Collections.Concurrent;
using Outpost.Probe.Capture;
using Outpost.Probe.Engine;
using Outpost.Probe.Packets;
using Outpost.Probe.Routing;
using Outpost.Probe.Targets;
using Outpost.Probe.Tests.Throttle;

namespace Outpost.Probe.Tests.Engine;

/// <summary>The whole engine against the in-memory network: no privileges, no wall-clock pacing.</summary>
public class SimulatedScanTests
{
    private static readonly Route Route = new("sim0", new Ipv4H(0x0A4D0001), new MacAddress(1), new MacAddress(2), null, false);

    private static SimulatedAnswer OpenOn22And443(Ipv4H host, PortH port) =>
        port.Value is 22 or 443 ? SimulatedAnswer.Open : (host.Value & 1) == 0 ? SimulatedAnswer.Closed : SimulatedAnswer.Silent;

    [Fact]
    public async Task Finds_exactly_the_open_and_closed_ports()
    {
        var network = new SimulatedNetworkDevice(OpenOn22And443) { RecordProbes = true };
        var (summary, results) = await ScanAsync(network, "10.0.0.0/28", "1-100,443", sends: 1);

        var expected = new HashSet<(uint, ushort, PortState)>();
        for (uint host = 0x0A000000; host <= 0x0A00000F; host++)
        {
            foreach (var port in Enumerable.Range(1, 100).Append(443))
            {
                var answer = OpenOn22And443(new Ipv4H(host), new PortH((ushort)port));
                if (answer != SimulatedAnswer.Silent)
                {
                    expected.Add((host, (ushort)port, answer == SimulatedAnswer.Open ? PortState.Open : PortState.Closed));
                }
            }
        }

        Assert.Equal(expected.OrderBy(x => x), results.Select(r => (r.Address.Value, r.Port.Value, r.State)).OrderBy(x => x));
        Assert.Equal(16 * 101, summary.Sent);
        Assert.Equal(32, summary.Open);
        Assert.Equal(expected.Count - 32, summary.Closed);
        Assert.False(summary.Cancelled);
        Assert.Equal(
            "tcp and dst host 10.77.0.1 and dst portrange 61000-65535 and tcp[13] & 0x10 != 0 and tcp[13] & 0x06 != 0",
            network.Request!.ToBpf());

        // Every (host, port) probed exactly once, and not in address order.
        var probes = network.Probes.ToList();
        Assert.Equal(probes.Count, probes.Distinct().Count());
        Assert.NotEqual(probes.OrderBy(p => p.Port.Value).ThenBy(p => p.Target.Value), probes);
    }

    [Fact]
    public async Task Several_send_threads_share_the_space_without_overlap()
    {
        var network = new SimulatedNetworkDevice((_, port) => port.Value % 7 == 0 ? SimulatedAnswer.Open : SimulatedAnswer.Closed) { RecordProbes = true };
        var scanner = new ProbeScanner(network, new FixedRouteResolver(Route), TimeProvider.System, new FakeClock());
        Assert.True(TargetSet.TryParse(["10.0.0.0/29"], "1-1000", out var set, out _));
        var results = new ConcurrentQueue<ScanResult>();
        var summary = await scanner.RunAsync(new ScanRequest(set!) { SendThreads = 3, Wait = TimeSpan.FromMilliseconds(200) }, new DelegateScanObserver(results.Enqueue));
        Assert.Equal(8000, summary.Sent);
        Assert.Equal(8000, network.Probes.Distinct().Count());
        Assert.Equal(8 * 142, summary.Open);
        Assert.Equal(8000, results.Count);
    }

    [Fact]
    public async Task Retries_resend_every_probe_and_duplicates_are_reported_once()
    {
        var network = new SimulatedNetworkDevice((_, port) => port.Value == 80 ? SimulatedAnswer.Open : SimulatedAnswer.Closed)
        {
            ReplyCopies = 3,
            RecordProbes = true,
        };
        var (summary, results) = await ScanAsync(network, "10.0.0.1-10.0.0.3", "79-81", sends: 2);
        Assert.Equal(18, summary.Sent);
        Assert.Equal(54, summary.Replies);
        Assert.Equal(9, results.Count);
        Assert.Equal(9, results.Distinct().Count());
        Assert.Equal(3, summary.Open);
        Assert.All(network.Probes.GroupBy(p => p), g => Assert.Equal(2, g.Count()));
    }

    [Fact]
    public async Task Forged_and_stray_replies_are_ignored()
    {
        var results = new ConcurrentBag<ScanResult>();
        var device = new ForgingDevice();
        var scanner = new ProbeScanner(device, new FixedRouteResolver(Route), TimeProvider.System, new FakeClock());
        Assert.True(TargetSet.TryParse(["10.0.0.1"], "22", out var set, out _));
        var summary = await scanner.RunAsync(new ScanRequest(set!) { Wait = TimeSpan.FromMilliseconds(50) }, new DelegateScanObserver(results.Add));
        Assert.Equal(1, summary.Sent);
        Assert.Equal(0, summary.Replies);
        Assert.Empty(results);
    }

    [Fact]
    public async Task Cancellation_stops_sending_and_returns_a_summary()
    {
        using var cancel = new CancellationTokenSource();
        var network = new SimulatedNetworkDevice((_, _) => SimulatedAnswer.Closed);
        var scanner = new ProbeScanner(network, new FixedRouteResolver(Route), TimeProvider.System, Outpost.Probe.Throttle.SystemSleeper.Instance);
        Assert.True(TargetSet.TryParse(["10.0.0.0/16"], "1-1000", out var set, out _));
        var request = new ScanRequest(set!) { ProbesPerSecond = 2000, Wait = TimeSpan.FromSeconds(30) };
        var results = 0;
        var summary = await scanner.RunAsync(request, new DelegateScanObserver(_ =>
        {
            if (Interlocked.Increment(ref results) == 50)
            {
                cancel.Cancel();
            }
        }), cancel.Token);
        Assert.True(summary.Cancelled);
        Assert.InRange(summary.Sent, 50, 5_000);
        Assert.True(summary.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Progress_reports_probes_sent_and_results()
    {
        var network = new SimulatedNetworkDevice((_, _) => SimulatedAnswer.Closed);
        var scanner = new ProbeScanner(network, new FixedRouteResolver(Route), TimeProvider.System, Outpost.Probe.Throttle.SystemSleeper.Instance);
        Assert.True(TargetSet.TryParse(["10.0.0.0/30"], "1-50", out var set, out _));
        var progress = new ConcurrentQueue<ScanProgress>();
        var request = new ScanRequest(set!) { ProbesPerSecond = 1000, Wait = TimeSpan.FromMilliseconds(100), ProgressInterval = TimeSpan.FromMilliseconds(50) };
        var summary = await scanner.RunAsync(request, new DelegateScanObserver(null, progress.Enqueue));
        Assert.True(progress.Count >= 2);
        var last = progress.Last();
        Assert.Equal(200, last.ProbesSent);
        Assert.Equal(200, last.ProbesTotal);
        Assert.Equal(200, last.Results);
        Assert.Equal(progress.Select(p => p.ProbesSent).Order(), progress.Select(p => p.ProbesSent));
        Assert.Equal(200, summary.Sent);
    }

    [Fact]
    public async Task The_rate_is_the_requested_one_on_the_scanners_clock()
    {
        // The throttle sleeps on the fake clock, so the achieved rate is the throttle's arithmetic, not the load of the box.
        var clock = new FakeClock { Overshoot = _ => TimeSpan.FromTicks(700) };
        var network = new SimulatedNetworkDevice((_, _) => SimulatedAnswer.Closed);
        var scanner = new ProbeScanner(network, new FixedRouteResolver(Route), clock, clock);
        Assert.True(TargetSet.TryParse(["10.0.0.0/28"], "1-250", out var set, out _));
        var summary = await scanner.RunAsync(new ScanRequest(set!) { ProbesPerSecond = 1000, Wait = TimeSpan.FromMilliseconds(50) }, new DelegateScanObserver(null));
        Assert.Equal(4000, summary.Sent);
        Assert.InRange(summary.AchievedRate, 990, 1010);
        Assert.True(clock.Sleeps > 0, "the throttle never slept: the rate was not limited");
    }

    [Fact]
    public async Task Invalid_requests_are_rejected_before_anything_is_sent()
    {
        var network = new SimulatedNetworkDevice((_, _) => SimulatedAnswer.Closed);
        var scanner = new ProbeScanner(network, new FixedRouteResolver(Route), TimeProvider.System, new FakeClock());
        Assert.True(TargetSet.TryParse(["10.0.0.1"], "22", out var set, out _));
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => scanner.RunAsync(new ScanRequest(set!) { Sends = 0 }, new DelegateScanObserver(null)));
        Assert.Contains("Sends per probe", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => scanner.RunAsync(new ScanRequest(set!) { FirstSourcePort = 1024, LastSourcePort = 2000 }, new DelegateScanObserver(null)));
        Assert.Equal(0, network.SentFrames);
    }

    private static async Task<(ScanSummary Summary, List<ScanResult> Results)> ScanAsync(SimulatedNetworkDevice network, string targets, string ports, int sends)
    {
        var results = new ConcurrentQueue<ScanResult>();
        var scanner = new ProbeScanner(network, new FixedRouteResolver(Route), TimeProvider.System, new FakeClock());
        Assert.True(TargetSet.TryParse([targets], ports, out var set, out var error), error);
        var summary = await scanner.RunAsync(new ScanRequest(set!) { Sends = sends, Wait = TimeSpan.FromMilliseconds(200), Seed = 1 }, new DelegateScanObserver(results.Enqueue));
        return (summary, results.ToList());
    }

    /// <summary>Answers every probe with replies that must not validate: wrong ack, wrong destination, wrong port range.</summary>
    private sealed class ForgingDevice : IPacketDevice, IPacketDeviceFactory, IFrameSender
    {
        private readonly SimulatedNetworkDevice _inner = new((_, _) => SimulatedAnswer.Silent);
        private readonly List<byte[]> _forged = [];

        public IPacketDevice Open(DeviceRequest request) => this;

        public IFrameSender CreateSender() => this;

        public int Send(ReadOnlySpan<byte> frames, int frameLength, int count)
        {
            var syn = frames[..frameLength].ToArray();
            // A SYN-ACK with ack = seq (not seq + 1), one to another address, and one to a port below our range.
            _forged.Add(Reply(syn, ackDelta: 0, toAddress: null, toPort: null));
            _forged.Add(Reply(syn, ackDelta: 1, toAddress: 0x0A4D0009, toPort: null));
            _forged.Add(Reply(syn, ackDelta: 1, toAddress: null, toPort: 40000));
            return count;
        }

        public void Receive(IFrameSink sink)
        {
            foreach (var frame in _forged)
            {
                sink.OnFrame(frame);
            }

            _inner.Receive(sink);
        }

        public void StopReceiving() => _inner.StopReceiving();

        public CaptureStatistics ReadStatistics() => default;

        public void Dispose() => _inner.Dispose();

        private static byte[] Reply(byte[] syn, uint ackDelta, uint? toAddress, ushort? toPort)
        {
            var reply = (byte[])syn.Clone();
            var ip = reply.AsSpan(14);
            var tcp = reply.AsSpan(34);
            var seq = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
            new Ipv4H(0x0A000001).Write(ip[12..]);
            new Ipv4H(toAddress ?? 0x0A4D0001).Write(ip[16..]);
            var sourcePort = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(tcp);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tcp, 22);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], toPort ?? sourcePort);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], unchecked(seq + ackDelta));
            tcp[13] = TcpFlags.Syn | TcpFlags.Ack;
            return reply;
        }
    }
}
