// HOT PATH: Patch runs once per probe. Allocates nothing, takes no locks.
//
// Prepare once, patch per probe (zmap's prepare_packet / make_packet): the constructor writes every byte of an
// Ethernet + IPv4 + TCP SYN frame that is the same for the whole job — MAC addresses, EtherType, IP version, TTL,
// protocol, source address, TCP flags, window and the MSS option. Patch copies that template into the caller's
// frame and writes only what changes per probe — destination address, both ports, sequence number (and, for
// targets on the local link, the destination MAC) — then computes both checksums in full. Copying 60 bytes is cheaper than rebuilding a header and means no field can be left over
// from the previous probe.

using System.Buffers.Binary;

namespace Outpost.Probe.Packets;

/// <summary>An immutable SYN frame template for one job, with per-probe patching.</summary>
public sealed class SynTemplate
{
    /// <summary>Bytes per frame: 14 Ethernet + 20 IPv4 + 24 TCP (with MSS), padded to the 60-byte Ethernet minimum.</summary>
    public const int FrameLength = 60;

    /// <summary>Offset of the IPv4 header in the frame.</summary>
    public const int IpOffset = 14;

    /// <summary>Offset of the TCP header in the frame.</summary>
    public const int TcpOffset = IpOffset + 20;

    private const int TcpLength = 24;
    private const int IpTotalLength = 20 + TcpLength;

    private readonly byte[] _template = new byte[FrameLength];

    /// <summary>Builds the constant part of every frame for a job.</summary>
    public SynTemplate(MacAddress source, MacAddress nextHop, Ipv4H sourceAddress, byte ttl = 64, ushort window = 1024)
    {
        Source = sourceAddress;
        var f = _template.AsSpan();
        nextHop.Write(f);
        source.Write(f[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(f[12..], 0x0800);

        var ip = f[IpOffset..];
        ip[0] = 0x45; // IPv4, 5-word header
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], IpTotalLength);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x5A5A); // identification; unused without fragmentation
        ip[8] = ttl;
        ip[9] = 6; // TCP
        sourceAddress.Write(ip[12..]);

        var tcp = f[TcpOffset..];
        tcp[12] = (TcpLength / 4) << 4; // data offset
        tcp[13] = TcpFlags.Syn;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], window);
        // MSS 1460: hosts that drop option-less SYNs as malformed or fingerprint them still answer.
        tcp[20] = 2;
        tcp[21] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[22..], 1460);
    }

    /// <summary>The job's source address, as written in every frame.</summary>
    public Ipv4H Source { get; }

    /// <summary>Overwrites the destination MAC of a patched frame, for on-link targets that each have their own.</summary>
    public static void PatchNextHop(Span<byte> frame, MacAddress nextHop) => nextHop.Write(frame);

    /// <summary>Writes the frame for one probe into <paramref name="frame"/> (at least <see cref="FrameLength"/> bytes).</summary>
    public void Patch(Span<byte> frame, Ipv4H target, PortH sourcePort, PortH targetPort, uint sequence)
    {
        _template.AsSpan().CopyTo(frame);
        var ip = frame.Slice(IpOffset, 20);
        target.Write(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip));

        var tcp = frame.Slice(TcpOffset, TcpLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort.Value);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], targetPort.Value);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.TcpOverIpv4(Source, target, tcp));
    }
}

/// <summary>TCP flag bits as they appear in byte 13 of the header.</summary>
public static class TcpFlags
{
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Ack = 0x10;
}
