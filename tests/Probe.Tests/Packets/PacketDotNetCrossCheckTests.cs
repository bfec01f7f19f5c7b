using System.Net;
using System.Net.NetworkInformation;
using Outpost.Probe.Engine;
using Outpost.Probe.Packets;
using Outpost.Probe.Targets;
using PacketDotNet;
using PacketDotNet.Tcp;

namespace Outpost.Probe.Tests.Packets;

/// <summary>
/// PacketDotNet as a second, independent reading of the wire format: the SYN frames the template builds and the replies
/// the matcher accepts must mean the same to it, field by field, as they do to us. A shared misunderstanding of the
/// format (a byte order, an offset, a checksum's pseudo-header) would pass our own tests and fail here.
/// </summary>
public class PacketDotNetCrossCheckTests
{
    private static readonly MacAddress Ours = new(0x02_4D_00_00_00_01);
    private static readonly MacAddress Hop = new(0x02_4D_00_00_00_02);
    private static readonly Ipv4H Source = new(0x0A4D0001);

    public static TheoryData<uint, ushort, ushort, uint> Probes => new()
    {
        { 0x0A4D0002, 61000, 443, 0xDEADBEEF },
        { 0x0A4D0002, 65535, 1, 0 },
        { 0xC0A8FFFE, 61001, 65535, 0xFFFFFFFF },
        { 0x01020304, 62345, 8080, 0x80000001 },
    };

    [Theory]
    [MemberData(nameof(Probes))]
    public void The_syn_template_means_the_same_to_packetdotnet(uint target, ushort sourcePort, ushort targetPort, uint sequence)
    {
        var frame = new byte[SynTemplate.FrameLength];
        new SynTemplate(Ours, Hop, Source).Patch(frame, new Ipv4H(target), new PortH(sourcePort), new PortH(targetPort), sequence);

        var ethernet = Assert.IsType<EthernetPacket>(Packet.ParsePacket(LinkLayers.Ethernet, frame));
        Assert.Equal(Physical(Ours), ethernet.SourceHardwareAddress);
        Assert.Equal(Physical(Hop), ethernet.DestinationHardwareAddress);
        Assert.Equal(EthernetType.IPv4, ethernet.Type);

        var ip = Assert.IsType<IPv4Packet>(ethernet.PayloadPacket);
        Assert.Equal(IPVersion.IPv4, ip.Version);
        Assert.Equal(5, ip.HeaderLength);
        Assert.Equal(44, ip.TotalLength);
        Assert.Equal(64, ip.TimeToLive);
        Assert.Equal(PacketDotNet.ProtocolType.Tcp, ip.Protocol);
        Assert.Equal(0, ip.FragmentOffset);
        Assert.Equal(Address(Source.Value), ip.SourceAddress);
        Assert.Equal(Address(target), ip.DestinationAddress);
        Assert.True(ip.ValidIPChecksum);
        Assert.Equal(ip.CalculateIPChecksum(), ip.Checksum);

        var tcp = Assert.IsType<TcpPacket>(ip.PayloadPacket);
        Assert.Equal(sourcePort, tcp.SourcePort);
        Assert.Equal(targetPort, tcp.DestinationPort);
        Assert.Equal(sequence, tcp.SequenceNumber);
        Assert.Equal(0u, tcp.AcknowledgmentNumber);
        Assert.True(tcp.Synchronize);
        Assert.False(tcp.Acknowledgment || tcp.Reset || tcp.Finished || tcp.Push || tcp.Urgent);
        Assert.Equal(1024, tcp.WindowSize);
        Assert.Equal(6, tcp.DataOffset);
        var mss = Assert.IsType<MaximumSegmentSizeOption>(Assert.Single(tcp.OptionsCollection));
        Assert.Equal(1460, mss.Value);
        Assert.True(tcp.ValidTcpChecksum);
        Assert.Equal(tcp.CalculateTcpChecksum(), tcp.Checksum);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void A_reply_built_by_packetdotnet_is_accepted_and_read_the_same(bool open, bool ipOptions)
    {
        Assert.True(TargetSet.TryParse(["10.77.0.2"], "443", out var targets, out var error), error);
        var request = new ScanRequest(targets!);
        var cookie = new SynCookie(0x0123456789ABCDEF, 0xFEDCBA9876543210);
        var target = new Ipv4H(0x0A4D0002);
        var ourPort = new PortH(61007);
        var probeSequence = cookie.Compute(Source, target, ourPort, new PortH(443));
        var frame = BuildReply(target, 443, ourPort.Value, unchecked(probeSequence + 1), open, ttl: 57, ipOptions);

        var results = new List<ScanResult>();
        new ReplyMatcher(request, cookie, Source, new DelegateScanObserver(results.Add)).OnFrame(frame);

        var result = Assert.Single(results);
        var (ip, tcp) = Parse(frame);
        Assert.Equal(Address(result.Address.Value), ip.SourceAddress);
        Assert.Equal(tcp.SourcePort, result.Port.Value);
        Assert.Equal(ip.TimeToLive, result.Ttl);
        Assert.Equal(tcp.Synchronize ? PortState.Open : PortState.Closed, result.State);
        Assert.Equal(open ? PortState.Open : PortState.Closed, result.State);
        AssertSameReading(frame);
    }

    /// <summary>Asserts that <see cref="TcpReply"/> reads every field of <paramref name="frame"/> as PacketDotNet does.</summary>
    internal static void AssertSameReading(byte[] frame)
    {
        Assert.True(TcpReply.TryParse(frame, out var reply));
        var (ip, tcp) = Parse(frame);
        Assert.Equal(ip.SourceAddress, Address(reply.From.Value));
        Assert.Equal(ip.DestinationAddress, Address(reply.To.Value));
        Assert.Equal(tcp.SourcePort, reply.FromPort.Value);
        Assert.Equal(tcp.DestinationPort, reply.ToPort.Value);
        Assert.Equal(tcp.AcknowledgmentNumber, reply.Acknowledgment);
        Assert.Equal(ip.TimeToLive, reply.Ttl);
        Assert.Equal(tcp.Synchronize && tcp.Acknowledgment && !tcp.Reset, reply.IsSynAck);
        Assert.Equal(tcp.Reset && tcp.Acknowledgment, reply.IsRstAck);
        Assert.Equal(tcp.Flags & 0xFF, reply.Flags);
    }

    internal static (IPv4Packet Ip, TcpPacket Tcp) Parse(byte[] frame)
    {
        var ethernet = Assert.IsType<EthernetPacket>(Packet.ParsePacket(LinkLayers.Ethernet, frame));
        var ip = Assert.IsType<IPv4Packet>(ethernet.PayloadPacket);
        return (ip, Assert.IsType<TcpPacket>(ip.PayloadPacket));
    }

    internal static IPAddress Address(uint hostOrder) => new([(byte)(hostOrder >> 24), (byte)(hostOrder >> 16), (byte)(hostOrder >> 8), (byte)hostOrder]);

    private static PhysicalAddress Physical(MacAddress mac)
    {
        var bytes = new byte[6];
        mac.Write(bytes);
        return new PhysicalAddress(bytes);
    }

    // The reply as a target's kernel would send it, built by PacketDotNet with checksums it computes; with ipOptions,
    // four bytes of IP options (NOPs and an end-of-list) move the TCP header, as a router's record-route would.
    private static byte[] BuildReply(Ipv4H from, ushort fromPort, ushort toPort, uint acknowledgment, bool open, byte ttl, bool ipOptions)
    {
        var tcp = new TcpPacket(fromPort, toPort)
        {
            Synchronize = open,
            Reset = !open,
            Acknowledgment = true,
            SequenceNumber = open ? 0x1234_5678u : 0,
            AcknowledgmentNumber = acknowledgment,
            WindowSize = open ? (ushort)64240 : (ushort)0,
        };
        var ip = new IPv4Packet(Address(from.Value), Address(Source.Value)) { TimeToLive = ttl, PayloadPacket = tcp };
        var ethernet = new EthernetPacket(Physical(Hop), Physical(Ours), EthernetType.IPv4) { PayloadPacket = ip };
        ip.UpdateCalculatedValues();
        tcp.UpdateTcpChecksum();
        ip.UpdateIPChecksum();
        var frame = ethernet.Bytes;
        if (!ipOptions)
        {
            return frame;
        }

        byte[] withOptions = [.. frame[..34], 1, 1, 1, 0, .. frame[34..]];
        var (reparsed, _) = Parse(RewriteHeaderLength(withOptions));
        reparsed.UpdateIPChecksum();
        Assert.True(reparsed.ValidIPChecksum);
        Assert.Equal(6, reparsed.HeaderLength);
        return withOptions;
    }

    private static byte[] RewriteHeaderLength(byte[] frame)
    {
        frame[14] = 0x46;
        var total = (frame[16] << 8) | frame[17];
        frame[16] = (byte)((total + 4) >> 8);
        frame[17] = (byte)(total + 4);
        return frame;
    }
}
