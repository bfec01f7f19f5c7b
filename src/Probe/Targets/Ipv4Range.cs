using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Outpost.Probe.Targets;

/// <summary>
/// An inclusive range of IPv4 addresses in host byte order (<c>First</c> ≤ <c>Last</c>). One type covers the three
/// spellings users write — a CIDR block, a single address and a dash range — so the daemon validates a scan and the
/// engine enumerates it with the same rules.
/// </summary>
public readonly record struct Ipv4Range(uint First, uint Last)
{
    /// <summary>Number of addresses in the range (1 to 2^32, hence <see cref="ulong"/>).</summary>
    public ulong Count => (ulong)Last - First + 1;

    /// <summary>The address at <paramref name="offset"/> from <see cref="First"/>, host order.</summary>
    public uint AddressAt(ulong offset) => (uint)(First + offset);

    /// <summary>True when <paramref name="addressHostOrder"/> lies inside the range.</summary>
    public bool Contains(uint addressHostOrder) => addressHostOrder >= First && addressHostOrder <= Last;

    /// <summary>
    /// Parses <c>"10.0.0.0/24"</c>, <c>"10.0.0.5"</c> or <c>"10.0.0.1-10.0.0.50"</c> (whitespace around parts is allowed).
    /// A CIDR with host bits set (<c>10.0.0.5/24</c>) is rejected rather than silently widened, because the user
    /// most likely meant something else. On failure <paramref name="error"/> is one sentence fit for an API reply.
    /// </summary>
    public static bool TryParse(string? text, out Ipv4Range range, out string? error)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "The target is empty; expected an IPv4 address, a CIDR block such as 10.0.0.0/24, or a range such as 10.0.0.1-10.0.0.50.";
            return false;
        }

        var s = text.Trim();
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!TryParseAddress(s.AsSpan(0, slash), out var network))
            {
                error = $"'{s[..slash].Trim()}' in target '{s}' is not an IPv4 address.";
                return false;
            }

            var bitsText = s[(slash + 1)..].Trim();
            if (bitsText.Length is 0 or > 2 || !bitsText.All(char.IsAsciiDigit)
                || !int.TryParse(bitsText, NumberStyles.None, CultureInfo.InvariantCulture, out var bits) || bits > 32)
            {
                error = $"The prefix length '{bitsText}' in target '{s}' must be a number from 0 to 32.";
                return false;
            }

            var hostMask = bits == 0 ? uint.MaxValue : (1u << (32 - bits)) - 1;
            if ((network & hostMask) != 0)
            {
                error = $"Target '{s}' has host bits set; the network is {FormatAddress(network & ~hostMask)}/{bits}.";
                return false;
            }

            range = new Ipv4Range(network, network | hostMask);
            error = null;
            return true;
        }

        var dash = s.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            if (!TryParseAddress(s.AsSpan(0, dash), out var first) || !TryParseAddress(s.AsSpan(dash + 1), out var last))
            {
                error = $"Target '{s}' is not a range of two IPv4 addresses such as 10.0.0.1-10.0.0.50.";
                return false;
            }

            if (last < first)
            {
                error = $"Target '{s}' is reversed: the first address is after the last.";
                return false;
            }

            range = new Ipv4Range(first, last);
            error = null;
            return true;
        }

        if (!TryParseAddress(s, out var single))
        {
            error = $"Target '{s}' is not an IPv4 address, a CIDR block or an address range.";
            return false;
        }

        range = new Ipv4Range(single, single);
        error = null;
        return true;
    }

    /// <summary>
    /// The smallest list of CIDR blocks whose union is exactly this range, in ascending order: each step takes the
    /// largest block that is aligned at the current address and does not run past <see cref="Last"/>.
    /// </summary>
    public IEnumerable<string> ToCidrs()
    {
        ulong start = First;
        ulong end = Last;
        while (start <= end)
        {
            var bits = 32;
            // Grow the block while it stays aligned at start and inside the range.
            while (bits > 0)
            {
                var size = 1UL << (32 - bits + 1);
                if ((start & (size - 1)) != 0 || start + size - 1 > end)
                {
                    break;
                }

                bits--;
            }

            yield return $"{FormatAddress((uint)start)}/{bits}";
            start += 1UL << (32 - bits);
        }
    }

    /// <summary><c>a.b.c.d/n</c> if the range is exactly one CIDR block of two or more addresses, <c>a.b.c.d</c> if it is one address, else <c>a.b.c.d-e.f.g.h</c>.</summary>
    public override string ToString()
    {
        if (First == Last)
        {
            return FormatAddress(First);
        }

        var count = Count;
        if ((count & (count - 1)) == 0 && (First & (uint)(count - 1)) == 0)
        {
            var bits = 32 - System.Numerics.BitOperations.Log2(count);
            return $"{FormatAddress(First)}/{bits}";
        }

        return $"{FormatAddress(First)}-{FormatAddress(Last)}";
    }

    /// <summary>Dotted-quad text of a host-order address.</summary>
    public static string FormatAddress(uint addressHostOrder) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{addressHostOrder >> 24}.{(addressHostOrder >> 16) & 0xFF}.{(addressHostOrder >> 8) & 0xFF}.{addressHostOrder & 0xFF}");

    /// <summary>
    /// Strict dotted-quad parser: exactly four decimal parts of 0–255. <see cref="IPAddress.TryParse(string?, out IPAddress?)"/>
    /// is not used because it accepts shorthand such as <c>"10.1"</c> and <c>"1"</c>, which in a scan target are
    /// far more likely typos than intent.
    /// </summary>
    public static bool TryParseAddress(ReadOnlySpan<char> text, out uint addressHostOrder)
    {
        addressHostOrder = 0;
        text = text.Trim();
        var parts = 0;
        var value = 0;
        var digits = 0;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c))
            {
                value = (value * 10) + (c - '0');
                digits++;
                if (digits > 3 || value > 255)
                {
                    return false;
                }
            }
            else if (c == '.' && digits > 0 && parts < 3)
            {
                addressHostOrder = (addressHostOrder << 8) | (uint)value;
                parts++;
                value = 0;
                digits = 0;
            }
            else
            {
                return false;
            }
        }

        if (parts != 3 || digits == 0)
        {
            return false;
        }

        addressHostOrder = (addressHostOrder << 8) | (uint)value;
        return true;
    }

    /// <summary>Converts a host-order address to an <see cref="IPAddress"/>.</summary>
    public static IPAddress ToIPAddress(uint addressHostOrder) =>
        new(new[] { (byte)(addressHostOrder >> 24), (byte)(addressHostOrder >> 16), (byte)(addressHostOrder >> 8), (byte)addressHostOrder });

    /// <summary>Converts an IPv4 <see cref="IPAddress"/> to host order.</summary>
    public static uint FromIPAddress(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("Only IPv4 addresses are supported.", nameof(address));
        }

        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
    }
}
