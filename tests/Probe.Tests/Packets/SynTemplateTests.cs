using System.Buffers.Binary;
using Outpost.Probe.Packets;

namespace Outpost.Probe.Tests.Packets;

public class SynTemplateTests
{
    private static readonly MacAddress Ours = new(0x02_00_00_00_00_01);
    private static readonly MacAddress Hop = new(0x02_00_00_00_00_02);
    private static readonly Ipv4H Source = new(0x0A4D0001);

    [Fact]
    public void Patched_frame_is_a_valid_syn_with_the_probe_fields()
    {
        var template = new SynTemplate(Ours, Hop, Source);
        var frame = new byte[SynTemplate.FrameLength];
        template.Patch(frame, new Ipv4H(0x0A4D0002), new PortH(61234), new PortH(443), 0xDEADBEEF);

        Assert.Equal(Convert.FromHexString("020000000002020000000001" + "0800"), frame[..14]);
        var ip = frame.AsSpan(14, 20);
        Assert.Equal(0x45, ip[0]);
        Assert.Equal(44, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
        Assert.Equal(6, ip[9]);
        Assert.Equal(Source, Ipv4H.Read(ip[12..]));
        Assert.Equal(new Ipv4H(0x0A4D0002), Ipv4H.Read(ip[16..]));
        Assert.Equal(0, InternetChecksum.Compute(ip)); // a header with its checksum in place sums to zero

        var tcp = frame.AsSpan(34, 24);
        Assert.Equal(61234, BinaryPrimitives.ReadUInt16BigEndian(tcp));
        Assert.Equal(443, BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]));
        Assert.Equal(0xDEADBEEF, BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]));
        Assert.Equal(TcpFlags.Syn, tcp[13]);
        Assert.Equal(0, InternetChecksum.TcpOverIpv4(Source, new Ipv4H(0x0A4D0002), tcp));
    }

    [Fact]
    public void Only_address_ports_sequence_and_checksums_change_between_probes()
    {
        var template = new SynTemplate(Ours, Hop, Source);
        var a = new byte[SynTemplate.FrameLength];
        var b = new byte[SynTemplate.FrameLength];
        template.Patch(a, new Ipv4H(0x01020304), new PortH(61000), new PortH(22), 1);
        template.Patch(b, new Ipv4H(0xFEFDFCFB), new PortH(65535), new PortH(65000), 0xFFFFFFFF);

        int[] patched = [24, 25, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 50, 51];
        for (var i = 0; i < SynTemplate.FrameLength; i++)
        {
            if (!patched.Contains(i))
            {
                Assert.True(a[i] == b[i], $"byte {i} differs but is not a per-probe field");
            }
        }

        // Patching over a dirty buffer leaves nothing of the previous probe behind.
        template.Patch(b, new Ipv4H(0x01020304), new PortH(61000), new PortH(22), 1);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Reply_parser_reads_what_a_target_would_send()
    {
        // SYN-ACK from 10.77.0.2:22 to 10.77.0.1:61000, ack 0x11223345, TTL 63, IP header with 4 bytes of options.
        var frame = Convert.FromHexString(
            "020000000001020000000002" + "0800"
            + "46000030000040003f060000" + "0a4d0002" + "0a4d0001" + "01010101"
            + "0016ee48" + "00000001" + "11223345" + "5012faf0" + "00000000");
        Assert.True(TcpReply.TryParse(frame, out var reply));
        Assert.Equal(new Ipv4H(0x0A4D0002), reply.From);
        Assert.Equal(new Ipv4H(0x0A4D0001), reply.To);
        Assert.Equal(22, reply.FromPort.Value);
        Assert.Equal(61000, reply.ToPort.Value);
        Assert.Equal(0x11223345u, reply.Acknowledgment);
        Assert.Equal(63, reply.Ttl);
        Assert.True(reply.IsSynAck);
        Assert.False(reply.IsRstAck);

        Assert.False(TcpReply.TryParse(frame.AsSpan(0, 40), out _));
        frame[12] = 0x86; // not IPv4
        Assert.False(TcpReply.TryParse(frame, out _));
    }
}
