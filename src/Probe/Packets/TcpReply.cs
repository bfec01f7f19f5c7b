// HOT PATH: TryParse runs once per captured frame on the receive thread. Allocates nothing.
//
// Received frames are parsed defensively but minimally: Ethernet II carrying IPv4 carrying TCP, the IP header
// length taken from IHL, and nothing else checked. Checksums are deliberately not validated: on veth and with NIC
// offload the kernel hands capture a frame whose checksum was never filled in, and a frame that reached us with a
// wrong checksum but a valid cookie is still a genuine answer.

using System.Buffers.Binary;

namespace Outpost.Probe.Packets;

/// <summary>The fields of a captured TCP reply that stateless matching needs.</summary>
public readonly record struct TcpReply(Ipv4H From, Ipv4H To, PortH FromPort, PortH ToPort, uint Acknowledgment, byte Flags, byte Ttl)
{
    /// <summary>SYN-ACK: the port is open.</summary>
    public bool IsSynAck => (Flags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack) && (Flags & TcpFlags.Rst) == 0;

    /// <summary>RST with ACK: the port is closed (a RST answering a SYN always carries ACK).</summary>
    public bool IsRstAck => (Flags & (TcpFlags.Rst | TcpFlags.Ack)) == (TcpFlags.Rst | TcpFlags.Ack);

    /// <summary>Parses an Ethernet frame; false for anything that is not IPv4/TCP or is truncated.</summary>
    public static bool TryParse(ReadOnlySpan<byte> frame, out TcpReply reply)
    {
        reply = default;
        if (frame.Length < 14 + 20 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800)
        {
            return false;
        }

        var ip = frame[14..];
        var ihl = (ip[0] & 0x0F) * 4;
        if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 6 || ip.Length < ihl + 20)
        {
            return false;
        }

        var tcp = ip[ihl..];
        reply = new TcpReply(
            Ipv4H.Read(ip[12..]),
            Ipv4H.Read(ip[16..]),
            new PortH(BinaryPrimitives.ReadUInt16BigEndian(tcp)),
            new PortH(BinaryPrimitives.ReadUInt16BigEndian(tcp[2..])),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
            tcp[13],
            ip[8]);
        return true;
    }
}
