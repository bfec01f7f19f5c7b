using System.Collections.Concurrent;
using Outpost.Probe.Capture;
using Outpost.Probe.Engine;
using Outpost.Probe.Routing;
using Outpost.Probe.Targets;
using Outpost.Probe.Tests.Packets;
using Outpost.Probe.Throttle;
using PacketDotNet;

namespace Outpost.Probe.Tests.Integration;

/// <summary>
/// The frames of a real scan in a namespace, as they left and as the kernel's answers were captured, read a second
/// time by PacketDotNet: every SYN is well formed to it, every captured reply reads the same to it as to the matcher,
/// and the findings are exactly the replies that answer a SYN we sent.
/// </summary>
public class RealPacketCrossCheckTests
{
    [Fact]
    public async Task Sent_and_captured_frames_agree_with_packetdotnet()
    {
        using var ns = NetworkNamespace.Create();
        int[] open = [22, 443];
        ns.Listen(ns.TargetAddress, open);
        Assert.True(TargetSet.TryParse([ns.TargetAddress], "20-30,440-450", out var targets, out var error), error);
        var devices = new RecordingDeviceFactory(new PcapDeviceFactory());
        var results = new ConcurrentQueue<ScanResult>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var summary = await new ProbeScanner(devices, new KernelRouteResolver(), TimeProvider.System, SystemSleeper.Instance)
            .RunAsync(new ScanRequest(targets!) { ProbesPerSecond = 2000, Wait = TimeSpan.FromSeconds(0.5) }, new DelegateScanObserver(results.Enqueue), timeout.Token);
        Assert.False(summary.Cancelled);

        var probes = new Dictionary<(ushort, ushort), uint>();
        foreach (var frame in devices.Sent)
        {
            var (ip, tcp) = PacketDotNetCrossCheckTests.Parse(frame);
            Assert.True(ip.ValidIPChecksum);
            Assert.True(tcp.ValidTcpChecksum);
            Assert.True(tcp.Synchronize && !tcp.Acknowledgment);
            Assert.Equal(ns.TargetAddress, ip.DestinationAddress.ToString());
            probes.Add((tcp.SourcePort, tcp.DestinationPort), tcp.SequenceNumber);
        }

        Assert.Equal(22, probes.Count);
        var answered = new HashSet<(ushort Port, bool Open)>();
        foreach (var frame in devices.Captured)
        {
            PacketDotNetCrossCheckTests.AssertSameReading(frame);
            var (ip, tcp) = PacketDotNetCrossCheckTests.Parse(frame);
            Assert.Equal(ns.TargetAddress, ip.SourceAddress.ToString());
            Assert.True(probes.TryGetValue((tcp.DestinationPort, tcp.SourcePort), out var sequence), $"a reply to no probe: {tcp}");
            Assert.Equal(unchecked(sequence + 1), tcp.AcknowledgmentNumber);
            answered.Add((tcp.SourcePort, tcp.Synchronize));
        }

        Assert.Equal(answered.OrderBy(a => a.Port), results.Select(r => (r.Port.Value, r.State == PortState.Open)).OrderBy(a => a.Item1));
        Assert.Equal(open, results.Where(r => r.State == PortState.Open).Select(r => (int)r.Port.Value).Order());
        Assert.Equal(22, results.Count);
    }

    /// <summary>A device that keeps a copy of every frame sent and captured (test code: it allocates per frame).</summary>
    private sealed class RecordingDeviceFactory(IPacketDeviceFactory inner) : IPacketDeviceFactory
    {
        public ConcurrentQueue<byte[]> Sent { get; } = new();

        public ConcurrentQueue<byte[]> Captured { get; } = new();

        public IPacketDevice Open(DeviceRequest request) => new Device(inner.Open(request), this);

        private sealed class Device(IPacketDevice device, RecordingDeviceFactory record) : IPacketDevice, IFrameSink
        {
            private IFrameSink? _sink;

            public IFrameSender CreateSender() => new Sender(device.CreateSender(), record);

            public void Receive(IFrameSink sink)
            {
                _sink = sink;
                device.Receive(this);
            }

            public void OnFrame(ReadOnlySpan<byte> frame)
            {
                record.Captured.Enqueue(frame.ToArray());
                _sink!.OnFrame(frame);
            }

            public void StopReceiving() => device.StopReceiving();

            public CaptureStatistics ReadStatistics() => device.ReadStatistics();

            public void Dispose() => device.Dispose();
        }

        private sealed class Sender(IFrameSender sender, RecordingDeviceFactory record) : IFrameSender
        {
            public int Send(ReadOnlySpan<byte> frames, int frameLength, int count)
            {
                for (var i = 0; i < count; i++)
                {
                    record.Sent.Enqueue(frames.Slice(i * frameLength, frameLength).ToArray());
                }

                return sender.Send(frames, frameLength, count);
            }

            public void Dispose() => sender.Dispose();
        }
    }
}
