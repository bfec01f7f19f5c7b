using System.Buffers.Binary;
using Outpost.Probe.Packets;

namespace Outpost.Probe.Tests.Packets;

public class ChecksumTests
{
    [Fact]
    public void Ipv4_header_matches_the_textbook_vector()
    {
        // The classic example header (e.g. Wikipedia, "Internet checksum"), checksum field zeroed: 0xB861.
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        Assert.Equal(0xB861, InternetChecksum.Compute(header));
    }

    [Fact]
    public void Rfc1071_example_words_fold_with_carries()
    {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to 0xddf2 (ones'-complement), so the checksum is ~0xddf2.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0x220D, InternetChecksum.Compute(data)); // ~0xddf2
    }

    [Fact]
    public void Odd_lengths_pad_with_a_zero_byte()
    {
        Assert.Equal(InternetChecksum.Compute([0x12, 0x34, 0x56, 0x00]), InternetChecksum.Compute([0x12, 0x34, 0x56]));
    }

    [Fact]
    public void Tcp_checksum_includes_the_pseudo_header()
    {
        // A SYN segment as Linux sends it (10.0.0.1:40000 -> 10.0.0.2:80, MSS option), checksum field zeroed; the
        // value is cross-checked against an independent word-by-word implementation over pseudo-header + segment.
        byte[] segment = Convert.FromHexString("9c400050000003e8000000006002040000000000020405b4");
        var source = new Ipv4H(0x0A000001);
        var destination = new Ipv4H(0x0A000002);
        var expected = NaiveTcpChecksum(source, destination, segment);
        Assert.Equal(expected, InternetChecksum.TcpOverIpv4(source, destination, segment));

        // And the receiver's check: summing the segment with its checksum in place gives zero.
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(16), expected);
        Assert.Equal(0, InternetChecksum.TcpOverIpv4(source, destination, segment));
    }

    [Fact]
    public void Wide_accumulation_agrees_with_word_by_word_on_random_data()
    {
        var random = new Random(42);
        for (var i = 0; i < 2000; i++)
        {
            var data = new byte[random.Next(0, 200)];
            random.NextBytes(data);
            Assert.Equal(NaiveChecksum(data, 0), InternetChecksum.Compute(data));
        }
    }

    // An independent, deliberately simple RFC 1071 implementation: 16-bit words, fold at every step.
    private static ushort NaiveChecksum(ReadOnlySpan<byte> data, uint start)
    {
        var sum = start;
        for (var i = 0; i < data.Length; i += 2)
        {
            var word = (uint)(data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0u);
            sum += word;
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static ushort NaiveTcpChecksum(Ipv4H source, Ipv4H destination, ReadOnlySpan<byte> segment)
    {
        var pseudo = new byte[12];
        source.Write(pseudo);
        destination.Write(pseudo.AsSpan(4));
        pseudo[9] = 6;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)segment.Length);
        return NaiveChecksum([.. pseudo, .. segment], 0);
    }
}
