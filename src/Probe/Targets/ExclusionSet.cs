using System.Globalization;

namespace Outpost.Probe.Targets;

/// <summary>
/// A do-not-scan list as the engine checks it (docs/probe-engine.md, "Exclusions"): whole addresses (an address, a CIDR
/// block or a range, every port) and single endpoints (<c>10.0.0.5:22</c>, that port only). The appliance validates
/// its settings with the same parser, so what an admin saves is what a scanner enforces.
///
/// <see cref="Excludes"/> runs once per probe inside the send loop, so it is allocation-free and logarithmic: the
/// address ranges are merged and sorted for a binary search, the endpoints packed as address·port into one sorted
/// array. Immutable and safe to share; an edit builds a new set (see <see cref="LiveExclusions"/>).
/// </summary>
public sealed class ExclusionSet
{
    /// <summary>The most entries one list may hold: far more than any admin types, small enough to ship with every job.</summary>
    public const int MaxEntries = 10_000;

    private readonly Ipv4Range[] _ranges;
    private readonly ulong[] _endpoints;

    private ExclusionSet(Ipv4Range[] ranges, ulong[] endpoints, IReadOnlyList<string> entries)
    {
        _ranges = ranges;
        _endpoints = endpoints;
        Entries = entries;
    }

    /// <summary>The empty list: nothing is excluded.</summary>
    public static ExclusionSet Empty { get; } = new([], [], []);

    /// <summary>The entries in canonical spelling, in the order given (duplicates removed).</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>True when nothing is excluded.</summary>
    public bool IsEmpty => _ranges.Length == 0 && _endpoints.Length == 0;

    /// <summary>
    /// Parses entries: an address, CIDR block or range (<see cref="Ipv4Range.TryParse"/>) excludes every port; an
    /// address with a port (<c>10.0.0.5:22</c>) excludes that port. The first bad entry decides <paramref name="error"/>.
    /// </summary>
    public static bool TryParse(IEnumerable<string?> entries, out ExclusionSet? set, out string? error)
    {
        ArgumentNullException.ThrowIfNull(entries);
        set = null;
        var ranges = new List<Ipv4Range>();
        var endpoints = new List<ulong>();
        var canonical = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (!TryParseEntry(entry, out var range, out var port, out error))
            {
                return false;
            }

            var text = port is { } p ? string.Create(CultureInfo.InvariantCulture, $"{Ipv4Range.FormatAddress(range.First)}:{p}") : range.ToString();
            if (!seen.Add(text))
            {
                continue;
            }

            if (canonical.Count == MaxEntries)
            {
                error = $"A do-not-scan list holds at most {MaxEntries} entries.";
                return false;
            }

            canonical.Add(text);
            if (port is { } endpointPort)
            {
                endpoints.Add(Pack(range.First, endpointPort));
            }
            else
            {
                ranges.Add(range);
            }
        }

        error = null;
        set = canonical.Count == 0 ? Empty : new ExclusionSet(Merge(ranges), [.. endpoints.Order()], canonical);
        return true;
    }

    /// <summary>True when the probe of <paramref name="port"/> on <paramref name="addressHostOrder"/> must not be sent. Allocation-free.</summary>
    public bool Excludes(uint addressHostOrder, ushort port) =>
        ExcludesAddress(addressHostOrder) || (_endpoints.Length > 0 && Array.BinarySearch(_endpoints, Pack(addressHostOrder, port)) >= 0);

    /// <summary>True when every port of <paramref name="addressHostOrder"/> is excluded.</summary>
    public bool ExcludesAddress(uint addressHostOrder)
    {
        // The last range starting at or before the address; the ranges are disjoint and sorted.
        var lo = 0;
        var hi = _ranges.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >> 1;
            if (_ranges[mid].Last < addressHostOrder)
            {
                lo = mid + 1;
            }
            else if (_ranges[mid].First > addressHostOrder)
            {
                hi = mid - 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The address ranges excluded on every port, merged and ascending (planning cuts them out of a scan's targets).</summary>
    public IReadOnlyList<Ipv4Range> WholeAddresses => _ranges;

    private static bool TryParseEntry(string? entry, out Ipv4Range range, out ushort? port, out string? error)
    {
        port = null;
        var text = entry?.Trim();
        var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon < 0)
        {
            return Ipv4Range.TryParse(text, out range, out error);
        }

        range = default;
        if (!Ipv4Range.TryParseAddress(text.AsSpan(0, colon), out var address))
        {
            error = $"'{text}' is not an address with a port such as 10.0.0.5:22 (a port excludes one address, not a block).";
            return false;
        }

        if (!ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number == 0)
        {
            error = $"The port in '{text}' must be a number from 1 to 65535.";
            return false;
        }

        range = new Ipv4Range(address, address);
        port = number;
        error = null;
        return true;
    }

    private static ulong Pack(uint address, ushort port) => ((ulong)address << 16) | port;

    private static Ipv4Range[] Merge(List<Ipv4Range> ranges)
    {
        ranges.Sort((a, b) => a.First.CompareTo(b.First));
        var merged = new List<Ipv4Range>(ranges.Count);
        foreach (var r in ranges)
        {
            if (merged.Count > 0 && (ulong)r.First <= (ulong)merged[^1].Last + 1)
            {
                merged[^1] = merged[^1] with { Last = Math.Max(merged[^1].Last, r.Last) };
            }
            else
            {
                merged.Add(r);
            }
        }

        return [.. merged];
    }
}

/// <summary>
/// The do-not-scan list of one running job, replaced whole when the appliance sends an edited one: the send loops read
/// <see cref="Current"/> once per batch (one volatile read), so an edit applies from the next batch on, without a lock.
/// </summary>
public sealed class LiveExclusions(ExclusionSet initial)
{
    private ExclusionSet _current = initial ?? throw new ArgumentNullException(nameof(initial));

    /// <summary>The list in force now.</summary>
    public ExclusionSet Current => Volatile.Read(ref _current);

    /// <summary>Puts <paramref name="next"/> in force for every probe not yet built.</summary>
    public void Replace(ExclusionSet next) => Volatile.Write(ref _current, next ?? throw new ArgumentNullException(nameof(next)));
}
