// HOT PATH: TryAdd runs once per validated reply on the receive thread. Allocates nothing after construction.
//
// A SYN-ACK is retransmitted by the target if we never complete the handshake, retries send the same probe again,
// and both a SYN-ACK and an RST can come back for one probe; a finding must still be reported once. The scanner is
// stateless, so this is the one structure that remembers answers: exact when the job is small enough for one bit
// per probe (up to 2^27 probes = 16 MiB, e.g. 2048 hosts × all ports), otherwise a direct-mapped table of the last
// answer per slot (16 MiB as well), which catches duplicates that arrive close together — the usual case — while
// memory stays bounded whatever the target count.

namespace Outpost.Probe.Engine;

/// <summary>Remembers which probe indices already produced a result. Single-threaded.</summary>
internal sealed class ReplyDeduplicator
{
    private const ulong ExactLimit = 1UL << 27;
    private const int TableBits = 21;
    private readonly ulong[] _words;
    private readonly bool _exact;

    public ReplyDeduplicator(ulong probeCount)
    {
        _exact = probeCount <= ExactLimit;
        _words = _exact ? new ulong[(probeCount + 63) / 64] : new ulong[1 << TableBits];
    }

    /// <summary>True the first time <paramref name="index"/> is seen.</summary>
    public bool TryAdd(ulong index)
    {
        if (_exact)
        {
            ref var word = ref _words[index >> 6];
            var bit = 1UL << (int)(index & 63);
            if ((word & bit) != 0)
            {
                return false;
            }

            word |= bit;
            return true;
        }

        // Slot by a mixed hash; store index + 1 so that an empty slot (0) never matches.
        var slot = (int)((index * 0x9E3779B97F4A7C15UL) >> (64 - TableBits));
        if (_words[slot] == index + 1)
        {
            return false;
        }

        _words[slot] = index + 1;
        return true;
    }
}
