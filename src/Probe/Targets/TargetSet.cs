namespace Outpost.Probe.Targets;

/// <summary>
/// The probe space of one job: a union of address ranges × a port list, numbered 0 … <see cref="Count"/>−1 so the
/// permutation can visit it in a random order without storing it. Overlapping ranges are merged on construction,
/// so no (address, port) pair has two numbers and none is probed twice. Immutable; safe to share between threads.
/// </summary>
public sealed class TargetSet
{
    private readonly Ipv4Range[] _ranges;

    // _starts[i] = number of addresses in ranges before i, for a binary search from host index to range.
    private readonly ulong[] _starts;

    /// <summary>Builds the set; <paramref name="ranges"/> may overlap and come in any order.</summary>
    public TargetSet(IEnumerable<Ipv4Range> ranges, PortList ports)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        Ports = ports ?? throw new ArgumentNullException(nameof(ports));
        var merged = new List<Ipv4Range>();
        foreach (var r in ranges.OrderBy(r => r.First))
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

        if (merged.Count == 0)
        {
            throw new ArgumentException("A target set needs at least one address.", nameof(ranges));
        }

        _ranges = [.. merged];
        _starts = new ulong[_ranges.Length];
        ulong total = 0;
        for (var i = 0; i < _ranges.Length; i++)
        {
            _starts[i] = total;
            total += _ranges[i].Count;
        }

        HostCount = total;
        Count = total * (ulong)ports.Count;
    }

    /// <summary>The merged address ranges, ascending.</summary>
    public IReadOnlyList<Ipv4Range> Ranges => _ranges;

    /// <summary>The ports probed on every address.</summary>
    public PortList Ports { get; }

    /// <summary>Number of distinct addresses.</summary>
    public ulong HostCount { get; }

    /// <summary>Number of probes (addresses × ports) in one pass.</summary>
    public ulong Count { get; }

    /// <summary>
    /// Parses target strings (each as <see cref="Ipv4Range.TryParse"/>) and a port list (<see cref="PortList.TryParse"/>).
    /// The first bad item decides <paramref name="error"/>.
    /// </summary>
    public static bool TryParse(IEnumerable<string> targets, string ports, out TargetSet? set, out string? error)
    {
        ArgumentNullException.ThrowIfNull(targets);
        set = null;
        var ranges = new List<Ipv4Range>();
        foreach (var t in targets)
        {
            if (!Ipv4Range.TryParse(t, out var r, out error))
            {
                return false;
            }

            ranges.Add(r);
        }

        if (ranges.Count == 0)
        {
            error = "No targets were given.";
            return false;
        }

        if (!PortList.TryParse(ports, out var list, out error))
        {
            return false;
        }

        set = new TargetSet(ranges, list!);
        return true;
    }

    /// <summary>
    /// The probe numbered <paramref name="index"/>: the host varies fastest, so neighbouring indices hit different
    /// hosts (the permutation already scatters them; this only keeps the unshuffled order polite too).
    /// </summary>
    public void Decode(ulong index, out uint addressHostOrder, out ushort port)
    {
        var host = index % HostCount;
        var portIndex = (int)(index / HostCount);
        port = Ports.PortAt(portIndex);
        addressHostOrder = AddressAt(host);
    }

    /// <summary>The inverse of <see cref="Decode"/>; false if the pair is not in the set. Allocation-free (used per reply).</summary>
    public bool TryEncode(uint addressHostOrder, ushort port, out ulong index)
    {
        index = 0;
        var r = RangeIndexOf(addressHostOrder);
        if (r < 0 || !Ports.TryIndexOf(port, out var portIndex))
        {
            return false;
        }

        var host = _starts[r] + (addressHostOrder - _ranges[r].First);
        index = ((ulong)portIndex * HostCount) + host;
        return true;
    }

    /// <summary>True when <paramref name="addressHostOrder"/> is one of the targets.</summary>
    public bool ContainsAddress(uint addressHostOrder) => RangeIndexOf(addressHostOrder) >= 0;

    // Binary search over the sorted, disjoint ranges: the last one starting at or before the address.
    private int RangeIndexOf(uint addressHostOrder)
    {
        var lo = 0;
        var hi = _ranges.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >> 1;
            if (_ranges[mid].First <= addressHostOrder)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _ranges[lo].Contains(addressHostOrder) ? lo : -1;
    }

    private uint AddressAt(ulong host)
    {
        var lo = 0;
        var hi = _starts.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >> 1;
            if (_starts[mid] <= host)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _ranges[lo].AddressAt(host - _starts[lo]);
    }
}
