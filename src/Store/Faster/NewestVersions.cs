namespace Outpost.Store.Faster;

/// <summary>
/// Recovery's note of the newest record of every job id in a range, read from a job log that holds older versions
/// too, in any order and from several threads at once (<see cref="JobTable.ReadNewest"/>).
///
/// One native slot per id packs the newest record's address with a tag its reader chose (how the record counts,
/// which queue it waits in) and a deletion bit, with the address in the high bits: the larger slot is the newer
/// record, whichever thread wrote first. The reader counts every record as it meets it and takes back the ones a
/// newer version superseded; to find those without reading the whole log again, a record met after a newer one, or
/// replaced in its slot by a newer one, marks its page, and only marked pages are read again.
/// </summary>
internal sealed class NewestVersions : IDisposable
{
    /// <summary>Bits of a reader's tag.</summary>
    public const int TagBits = 21;

    private const int AddressShift = TagBits + 1;
    private const long DeletedBit = 1;
    private readonly JobIdSlots<long> _slots;
    private readonly long _first;
    private readonly long _last;
    private readonly long _logBegin;
    private readonly long _pageBase;
    /// <summary>One byte per log page: set when the page holds a counted record that a newer version superseded.</summary>
    private readonly byte[] _supersededPages;

    public NewestVersions(long first, long last, long logBegin, long logTail)
    {
        if (logTail - logBegin >= 1L << (63 - AddressShift))
            throw new InvalidOperationException($"the job log spans {logTail - logBegin} bytes, beyond what recovery can address");
        (_first, _last) = (first, last);
        _logBegin = logBegin;
        _pageBase = logBegin >> FasterKvTables.PageSizeBits << FasterKvTables.PageSizeBits;
        _supersededPages = new byte[((logTail - _pageBase) >> FasterKvTables.PageSizeBits) + 1];
        _slots = new JobIdSlots<long>(first, last);
    }

    public bool Holds(long jobId) => _slots.Holds(jobId);

    /// <summary>
    /// Notes the record of <paramref name="jobId"/> at <paramref name="address"/>, counted by its reader under
    /// <paramref name="tag"/> unless it is a deletion; marks the page of whichever of it and the previous newest
    /// record is now superseded, when that one was counted.
    /// </summary>
    public void Note(long jobId, long address, int tag, bool deleted)
    {
        var value = (address - _logBegin + 1) << AddressShift | (long)tag << 1 | (deleted ? DeletedBit : 0);
        ref var slot = ref _slots[jobId];
        for (var seen = Volatile.Read(ref slot); ; )
        {
            if (seen > value)
            {
                if (!deleted) MarkSuperseded(address);
                return;
            }
            var previous = Interlocked.CompareExchange(ref slot, value, seen);
            if (previous == seen)
            {
                if (seen != 0 && (seen & DeletedBit) == 0) MarkSuperseded(AddressOf(seen));
                return;
            }
            seen = previous;
        }
    }

    /// <summary>Whether a newer record of <paramref name="jobId"/> than the one at <paramref name="address"/> was noted.</summary>
    public bool IsSuperseded(long jobId, long address) => AddressOf(_slots[jobId]) != address;

    /// <summary>Pages marked by <see cref="Note"/>: the consecutive runs of them within <paramref name="from"/>..<paramref name="to"/>.</summary>
    public IEnumerable<(long From, long To)> SupersededRuns(long from, long to)
    {
        var pageBytes = 1L << FasterKvTables.PageSizeBits;
        var runFrom = -1L;
        for (var page = from >> FasterKvTables.PageSizeBits << FasterKvTables.PageSizeBits; page < to; page += pageBytes)
        {
            var marked = _supersededPages[(page - _pageBase) >> FasterKvTables.PageSizeBits] != 0;
            if (marked && runFrom < 0) runFrom = Math.Max(page, from);
            else if (!marked && runFrom >= 0)
            {
                yield return (runFrom, page);
                runFrom = -1;
            }
        }
        if (runFrom >= 0) yield return (runFrom, to);
    }

    /// <summary>Visits, in id order, every id in the range whose newest record is not a deletion, with that record's tag.</summary>
    public void ForEachLive(Action<long, int> visit)
    {
        for (var jobId = _first; jobId <= _last; jobId++)
        {
            var slot = _slots[jobId];
            if (slot != 0 && (slot & DeletedBit) == 0) visit(jobId, (int)((slot >> 1) & ((1L << TagBits) - 1)));
        }
    }

    public void Dispose() => _slots.Dispose();

    private long AddressOf(long slot) => (slot >> AddressShift) - 1 + _logBegin;

    // Every writer writes the same byte value, so unsynchronised writes race harmlessly; the lanes' join publishes them.
    private void MarkSuperseded(long address) => _supersededPages[(address - _pageBase) >> FasterKvTables.PageSizeBits] = 1;
}
