// HOT PATH: called twice per probe (IPv4 header, TCP segment). Allocates nothing.
//
// The Internet checksum (RFC 1071) is the ones'-complement of the ones'-complement sum of the data as 16-bit
// big-endian words. Ones'-complement addition is associative and commutative, so words can be summed in a wide
// accumulator with the carries folded back in at the end; we add 32-bit big-endian chunks into a 64-bit sum, which
// halves the loop count, then fold 64 → 16 bits. The checksum is always computed over the whole header/segment
// (never only adjusted incrementally) so a template bug cannot survive as a stale checksum.

using System.Buffers.Binary;

namespace Outpost.Probe.Packets;

/// <summary>RFC 1071 checksums for IPv4 headers and TCP segments.</summary>
public static class InternetChecksum
{
    /// <summary>The checksum of <paramref name="data"/> (the checksum field inside it must be zero when computing).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Sum(data, 0));

    /// <summary>
    /// The TCP checksum over the IPv4 pseudo-header (source, destination, protocol 6, segment length) and the
    /// segment itself, whose checksum field must be zero.
    /// </summary>
    public static ushort TcpOverIpv4(Ipv4H source, Ipv4H destination, ReadOnlySpan<byte> segment)
    {
        ulong sum = (source.Value >> 16) + (source.Value & 0xFFFF) + (destination.Value >> 16) + (destination.Value & 0xFFFF)
            + 6u + (uint)segment.Length;
        return Finish(Sum(segment, sum));
    }

    /// <summary>Adds <paramref name="data"/> to a running ones'-complement sum (unfolded).</summary>
    public static ulong Sum(ReadOnlySpan<byte> data, ulong sum)
    {
        var i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        }

        if (i + 2 <= data.Length)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            i += 2;
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        return sum;
    }

    /// <summary>Folds a running sum to 16 bits and complements it.</summary>
    public static ushort Finish(ulong sum)
    {
        sum = (sum >> 32) + (sum & 0xFFFFFFFF);
        sum = (sum >> 32) + (sum & 0xFFFFFFFF);
        sum = (sum >> 16) + (sum & 0xFFFF);
        sum = (sum >> 16) + (sum & 0xFFFF);
        sum = (sum >> 16) + (sum & 0xFFFF);
        return (ushort)~sum;
    }
}
