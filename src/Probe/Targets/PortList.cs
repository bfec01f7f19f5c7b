using System.Globalization;
using System.Text;

namespace Outpost.Probe.Targets;

/// <summary>
/// A set of TCP ports written as <c>"22,80,443,1000-2000"</c>. Parsing normalises it: ranges are sorted and
/// overlapping or adjacent ones merged, so <see cref="Count"/> counts each port once and <see cref="ToString"/> is
/// canonical (two lists naming the same ports print the same). The engine maps a probe index to a port with
/// <see cref="PortAt"/>, which is why the merged ranges keep a running prefix count.
/// </summary>
public sealed class PortList
{
    private readonly (ushort First, ushort Last)[] _ranges;

    // _starts[i] = number of ports in ranges before i; lets PortAt binary-search instead of walking.
    private readonly int[] _starts;

    private PortList((ushort First, ushort Last)[] ranges)
    {
        _ranges = ranges;
        _starts = new int[ranges.Length];
        var total = 0;
        for (var i = 0; i < ranges.Length; i++)
        {
            _starts[i] = total;
            total += ranges[i].Last - ranges[i].First + 1;
        }

        Count = total;
    }

    /// <summary>Number of distinct ports (1 to 65 535).</summary>
    public int Count { get; }

    /// <summary>The merged, ascending, non-adjacent ranges.</summary>
    public IReadOnlyList<(ushort First, ushort Last)> Ranges => _ranges;

    /// <summary>Builds a list from ranges that are already known to be valid (1–65535, First ≤ Last); they are normalised.</summary>
    public static PortList FromRanges(IEnumerable<(ushort First, ushort Last)> ranges)
    {
        var sorted = ranges.OrderBy(r => r.First).ToList();
        var merged = new List<(ushort First, ushort Last)>(sorted.Count);
        foreach (var r in sorted)
        {
            if (r.First == 0 || r.Last < r.First)
            {
                throw new ArgumentException($"Invalid port range {r.First}-{r.Last}.", nameof(ranges));
            }

            if (merged.Count > 0 && r.First <= merged[^1].Last + 1)
            {
                merged[^1] = (merged[^1].First, Math.Max(merged[^1].Last, r.Last));
            }
            else
            {
                merged.Add(r);
            }
        }

        if (merged.Count == 0)
        {
            throw new ArgumentException("A port list needs at least one port.", nameof(ranges));
        }

        return new PortList([.. merged]);
    }

    /// <summary>
    /// Parses a comma-separated list of ports and inclusive ranges, e.g. <c>"22,80,443,1000-2000"</c>; whitespace
    /// around items is allowed. Rejects port 0, ports above 65535, reversed ranges, empty items and anything that is
    /// not a decimal number, with one sentence in <paramref name="error"/>.
    /// </summary>
    public static bool TryParse(string? text, out PortList? list, out string? error)
    {
        list = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "The port list is empty; expected ports and ranges such as 22,80,443,1000-2000.";
            return false;
        }

        var ranges = new List<(ushort First, ushort Last)>();
        foreach (var rawItem in text.Split(','))
        {
            var item = rawItem.Trim();
            if (item.Length == 0)
            {
                error = $"The port list '{text.Trim()}' has an empty item; remove the extra comma.";
                return false;
            }

            var dash = item.IndexOf('-', StringComparison.Ordinal);
            var firstText = dash < 0 ? item : item[..dash].Trim();
            var lastText = dash < 0 ? item : item[(dash + 1)..].Trim();
            if (!TryParsePort(firstText, out var first, out error) || !TryParsePort(lastText, out var last, out error))
            {
                return false;
            }

            if (last < first)
            {
                error = $"The port range '{item}' is reversed: {first} is above {last}.";
                return false;
            }

            ranges.Add((first, last));
        }

        list = FromRanges(ranges);
        error = null;
        return true;
    }

    /// <summary>The port at position <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>) in ascending order.</summary>
    public ushort PortAt(int index)
    {
        var lo = 0;
        var hi = _starts.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >> 1;
            if (_starts[mid] <= index)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return (ushort)(_ranges[lo].First + (index - _starts[lo]));
    }

    /// <summary>True when <paramref name="port"/> is in the list.</summary>
    public bool Contains(ushort port) => TryIndexOf(port, out _);

    /// <summary>The inverse of <see cref="PortAt"/>: the position of <paramref name="port"/>, if listed. Allocation-free.</summary>
    public bool TryIndexOf(ushort port, out int index)
    {
        var lo = 0;
        var hi = _ranges.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >> 1;
            if (_ranges[mid].First <= port)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        var (first, last) = _ranges[lo];
        index = _starts[lo] + (port - first);
        return port >= first && port <= last;
    }

    /// <summary>Canonical text: ascending, merged, e.g. <c>"22,80,443,1000-2000"</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var (first, last) in _ranges)
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }

            sb.Append(first.ToString(CultureInfo.InvariantCulture));
            if (last != first)
            {
                sb.Append('-').Append(last.ToString(CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    private static bool TryParsePort(string text, out ushort port, out string? error)
    {
        port = 0;
        if (text.Length == 0 || text.Length > 5 || !text.All(char.IsAsciiDigit))
        {
            error = $"'{text}' is not a port number; ports are whole numbers from 1 to 65535.";
            return false;
        }

        var value = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        if (value is < 1 or > 65535)
        {
            error = $"Port {value} is out of range; ports are from 1 to 65535.";
            return false;
        }

        port = (ushort)value;
        error = null;
        return true;
    }
}
