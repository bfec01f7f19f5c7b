using System.Buffers.Binary;
using System.Globalization;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Packets;

// Byte order lives in the type name (zmap's ipaddr_n_t / port_h_t habit): every in-memory address and port in the
// engine is host order ("H"); network order exists only as bytes inside a frame, written and read through
// BinaryPrimitives at the one place that touches the wire. A value cannot be byte-swapped twice by accident.

/// <summary>An IPv4 address in host byte order.</summary>
public readonly record struct Ipv4H(uint Value)
{
    /// <summary>Dotted-quad text.</summary>
    public override string ToString() => Ipv4Range.FormatAddress(Value);

    /// <summary>Reads a network-order address from the wire.</summary>
    public static Ipv4H Read(ReadOnlySpan<byte> wire) => new(BinaryPrimitives.ReadUInt32BigEndian(wire));

    /// <summary>Writes the address to the wire in network order.</summary>
    public void Write(Span<byte> wire) => BinaryPrimitives.WriteUInt32BigEndian(wire, Value);
}

/// <summary>A TCP port in host byte order.</summary>
public readonly record struct PortH(ushort Value)
{
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A 48-bit Ethernet address, kept as its six wire bytes in the low bits of a <see cref="ulong"/> (first byte highest).</summary>
public readonly record struct MacAddress(ulong Bits)
{
    /// <summary>00:00:00:00:00:00, what the loopback device uses on both ends.</summary>
    public static MacAddress Zero => default;

    /// <summary>Writes the six bytes in wire order.</summary>
    public void Write(Span<byte> wire)
    {
        for (var i = 0; i < 6; i++)
        {
            wire[i] = (byte)(Bits >> (8 * (5 - i)));
        }
    }

    /// <summary>Parses <c>aa:bb:cc:dd:ee:ff</c> as found in <c>/sys/class/net/*/address</c> and <c>/proc/net/arp</c>.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MacAddress mac)
    {
        mac = default;
        text = text.Trim();
        if (text.Length != 17)
        {
            return false;
        }

        ulong bits = 0;
        for (var i = 0; i < 6; i++)
        {
            if (i > 0 && text[(i * 3) - 1] != ':')
            {
                return false;
            }

            if (!byte.TryParse(text.Slice(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                return false;
            }

            bits = (bits << 8) | b;
        }

        mac = new MacAddress(bits);
        return true;
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[6];
        Write(b);
        return string.Create(CultureInfo.InvariantCulture, $"{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}:{b[5]:x2}");
    }
}
