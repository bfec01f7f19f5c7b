using System.Net;
using System.Runtime.InteropServices;

namespace Outpost.Store.Lifecycle;

/// <summary>An IP address stored inline in a blittable record: 16 bytes (IPv4 as IPv4-mapped IPv6) and a presence flag.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IpBytes
{
    private ulong _high;
    private ulong _low;
    private byte _present;

    public static IpBytes From(string? text)
    {
        var ip = default(IpBytes);
        if (text is null || !IPAddress.TryParse(text, out var address)) return ip;
        Span<byte> bytes = stackalloc byte[16];
        address.MapToIPv6().TryWriteBytes(bytes, out _);
        ip._high = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes);
        ip._low = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        ip._present = 1;
        return ip;
    }

    public readonly bool IsPresent => _present != 0;

    public override readonly string? ToString()
    {
        if (_present == 0) return null;
        Span<byte> bytes = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes, _high);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], _low);
        var address = new IPAddress(bytes);
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }
}
