using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Outpost.Store.Model;

namespace Outpost.Store.Queries;

/// <summary>
/// Search by address (docs/admin-api.md, "Searching jobs and scans"): the address blocks a job covers, as numeric
/// ranges, so "which jobs' targets contain 10.0.5.7" is a comparison and not a parse of every job's target text on
/// every request. Both backends store a job's ranges when the job is created — FASTER as a blob next to the spec
/// (<see cref="Encode"/>, matched by <see cref="Contains(ReadOnlySpan{byte}, IReadOnlyList{uint})"/>), PostgreSQL as an <c>int8multirange</c> column matched
/// with <c>@&gt;</c> (<see cref="ToMultirange"/>) — and the contract test
/// <c>The_jobs_query_finds_jobs_whose_targets_contain_an_address</c> checks both.
/// </summary>
public static class AddressRanges
{
    /// <summary>
    /// The job's targets as sorted, merged, inclusive (first, last) ranges of host-order IPv4 addresses. Targets are
    /// stored in their canonical form (an address, <c>a.b.c.d/n</c> or <c>a.b.c.d-e.f.g.h</c>); one that is not
    /// an address block covers nothing.
    /// </summary>
    public static (uint First, uint Last)[] Of(IReadOnlyList<JobTarget> targets) => Of(targets.Select(t => t.Cidr));

    /// <summary>Address blocks (a scan's targets) as sorted, merged, inclusive ranges; see <see cref="Of(IReadOnlyList{JobTarget})"/>.</summary>
    public static (uint First, uint Last)[] Of(IEnumerable<string> blocks)
    {
        var ranges = new List<(uint First, uint Last)>();
        foreach (var block in blocks)
        {
            if (TryParseBlock(block, out var first, out var last)) ranges.Add((first, last));
        }
        ranges.Sort();
        var merged = new List<(uint First, uint Last)>(ranges.Count);
        foreach (var range in ranges)
        {
            if (merged.Count > 0 && (ulong)range.First <= (ulong)merged[^1].Last + 1)
            {
                merged[^1] = (merged[^1].First, Math.Max(merged[^1].Last, range.Last));
            }
            else
            {
                merged.Add(range);
            }
        }
        return [.. merged];
    }

    /// <summary>Ranges as bytes: (first, last) pairs of little-endian u32, sorted.</summary>
    public static byte[] Encode(IReadOnlyList<JobTarget> targets)
    {
        var ranges = Of(targets);
        var bytes = new byte[ranges.Length * 8];
        for (var i = 0; i < ranges.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 8), ranges[i].First);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 8 + 4), ranges[i].Last);
        }
        return bytes;
    }

    /// <summary>Whether the encoded ranges hold any of <paramref name="addresses"/>: a binary search per address.</summary>
    public static bool Contains(ReadOnlySpan<byte> encoded, IReadOnlyList<uint> addresses)
    {
        var count = encoded.Length / 8;
        foreach (var address in addresses)
        {
            int low = 0, high = count - 1;
            while (low <= high)
            {
                var middle = (low + high) >>> 1;
                var first = BinaryPrimitives.ReadUInt32LittleEndian(encoded[(middle * 8)..]);
                var last = BinaryPrimitives.ReadUInt32LittleEndian(encoded[(middle * 8 + 4)..]);
                if (address < first) high = middle - 1;
                else if (address > last) low = middle + 1;
                else return true;
            }
        }
        return false;
    }

    /// <summary>Whether any of the address blocks holds any of <paramref name="addresses"/> (a scan's targets, parsed per call).</summary>
    public static bool Contains(IEnumerable<string> blocks, IReadOnlyList<uint> addresses)
    {
        foreach (var (first, last) in Of(blocks))
        {
            foreach (var address in addresses)
            {
                if (address >= first && address <= last) return true;
            }
        }
        return false;
    }

    /// <summary>The ranges as a PostgreSQL <c>int8multirange</c> literal (half-open bounds), e.g. <c>{[167772160,167776256)}</c>.</summary>
    public static string ToMultirange(IReadOnlyList<JobTarget> targets)
    {
        var text = new StringBuilder("{");
        foreach (var (first, last) in Of(targets))
        {
            if (text.Length > 1) text.Append(',');
            text.Append('[').Append(first.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(((ulong)last + 1).ToString(CultureInfo.InvariantCulture)).Append(')');
        }
        return text.Append('}').ToString();
    }

    /// <summary>A whole dotted-quad IPv4 address (what a search for an address is), in host order.</summary>
    public static bool TryParseAddress(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        var parts = 0;
        foreach (var range in text.Split('.'))
        {
            var part = text[range];
            if (++parts > 4 || part.Length is 0 or > 3 || !uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 255)
                return false;
            address = (address << 8) | value;
        }
        return parts == 4;
    }

    /// <summary>An address, a CIDR block or a range of addresses, as inclusive host-order bounds.</summary>
    private static bool TryParseBlock(string block, out uint first, out uint last)
    {
        first = last = 0;
        var text = block.AsSpan().Trim();
        var slash = text.IndexOf('/');
        if (slash >= 0)
        {
            if (!TryParseAddress(text[..slash], out var network) || !int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var bits) || bits > 32)
                return false;
            var hostMask = bits == 0 ? uint.MaxValue : (1u << (32 - bits)) - 1;
            first = network & ~hostMask;
            last = first | hostMask;
            return true;
        }
        var dash = text.IndexOf('-');
        if (dash >= 0)
            return TryParseAddress(text[..dash].Trim(), out first) && TryParseAddress(text[(dash + 1)..].Trim(), out last) && first <= last;
        if (!TryParseAddress(text, out first)) return false;
        last = first;
        return true;
    }
}
