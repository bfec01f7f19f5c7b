// HOT PATH: the whole of Run is the send loop. It allocates nothing after construction (one frame buffer per
// loop), takes no locks, and does no formatting: per batch it takes tokens from the shared throttle and claims as
// many positions from the shared cursor (two atomic operations), then per probe it maps the position through the
// permutation, decodes it, skips it if the do-not-scan list names it, computes a cookie and patches the template, and
// finally hands the batch to the device. The list is read once per batch (one volatile read of an immutable set), so
// an edit that arrives mid-scan applies from the next batch on.
// Counters are published with Volatile writes once per batch for the progress timer.
//
// Several loops run one scan, one per send thread, sharing the throttle and the cursor: work is handed out a
// batch at a time rather than split into fixed shards up front, so a thread that the OS deschedules for a while
// does not leave a tail of its shard to be sent alone, below the asked rate, after the others have finished.

using Outpost.Probe.Capture;
using Outpost.Probe.Packets;
using Outpost.Probe.Permutation;
using Outpost.Probe.Routing;
using Outpost.Probe.Targets;
using Outpost.Probe.Throttle;

namespace Outpost.Probe.Engine;

/// <summary>
/// The positions still to send in a scan: <c>Sends</c> sweeps of the permutation laid end to end, claimed a batch at
/// a time by the send threads with one atomic add, from <paramref name="start"/> (a resumed scan's cursor) on.
/// </summary>
internal sealed class ProbeCursor(ulong count, int sends, ulong start)
{
    private readonly ulong _end = count * (ulong)sends;
    private ulong _next = start;

    /// <summary>Positions per sweep.</summary>
    public ulong Count { get; } = count;

    /// <summary>Positions not yet claimed; a loop asks the throttle for no more than this, so it does not sleep for tokens it cannot use.</summary>
    public ulong Remaining => Volatile.Read(ref _next) is var next && next < _end ? _end - next : 0;

    /// <summary>The next unclaimed position (a loop records it as the lower bound of the batch it is about to claim).</summary>
    public ulong Next => Volatile.Read(ref _next);

    /// <summary>The end of the scan's positions.</summary>
    public ulong End => _end;

    /// <summary>Claims up to <paramref name="max"/> consecutive positions; returns how many (0 when all are taken).</summary>
    public int Claim(int max, out ulong first)
    {
        first = Interlocked.Add(ref _next, (ulong)max) - (ulong)max;
        return first >= _end ? 0 : (int)Math.Min((ulong)max, _end - first);
    }
}

/// <summary>One send thread's loop: claims batches of positions, builds their frames and sends them.</summary>
internal sealed class SendLoop
{
    /// <summary>Frames per device call; also the largest burst the throttle grants at once.</summary>
    public const int Batch = 64;

    private readonly TargetSet _targets;
    private readonly FeistelPermutation _order;
    private readonly ProbeCursor _cursor;
    private readonly SynTemplate _template;
    private readonly SynCookie _cookie;
    private readonly ProbeThrottle _throttle;
    private readonly IFrameSender _device;
    private readonly NeighbourTable? _neighbours;
    private readonly LiveExclusions? _exclusions;
    private readonly ushort _firstSourcePort;
    private readonly uint _sourcePortCount;
    private readonly TimeProvider _time;
    private readonly byte[] _frames = new byte[Batch * SynTemplate.FrameLength];
    private long _sent;
    private long _errors;
    private long _unreachable;
    // A lower bound of the positions this loop has claimed and not yet handed to the device; Idle when none.
    private ulong _inFlightFrom = Idle;

    private const ulong Idle = ulong.MaxValue;

    private long _excluded;

    public SendLoop(ScanRequest request, FeistelPermutation order, ProbeCursor cursor, SynTemplate template, SynCookie cookie, ProbeThrottle throttle, IFrameSender device, NeighbourTable? neighbours, TimeProvider time)
    {
        _targets = request.Targets;
        _order = order;
        _cursor = cursor;
        _template = template;
        _cookie = cookie;
        _throttle = throttle;
        _device = device;
        _neighbours = neighbours;
        _exclusions = request.Exclusions;
        _firstSourcePort = request.FirstSourcePort;
        _sourcePortCount = (uint)(request.LastSourcePort - request.FirstSourcePort + 1);
        _time = time;
    }

    /// <summary>Frames sent so far (read from other threads).</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Frames the device refused so far.</summary>
    public long Errors => Volatile.Read(ref _errors);

    /// <summary>Probes not sent because their on-link host did not answer ARP.</summary>
    public long Unreachable => Volatile.Read(ref _unreachable);

    /// <summary>
    /// The position below which every probe of the scan was handed to the device, given all its loops: read the shared
    /// cursor first, then each loop's batch in flight. A loop records the cursor's next position before it claims, so a
    /// batch claimed before that read is either still recorded or already sent (the claim is a full fence).
    /// </summary>
    public static ulong SentBelow(ProbeCursor cursor, SendLoop[] loops)
    {
        var below = Math.Min(cursor.Next, cursor.End);
        foreach (var loop in loops)
        {
            below = Math.Min(below, Volatile.Read(ref loop._inFlightFrom));
        }

        return below;
    }

    /// <summary>Probes not sent because the do-not-scan list names them.</summary>
    public long Excluded => Volatile.Read(ref _excluded);

    /// <summary>Time from the start of <see cref="Run"/> to the return of its last send.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>Runs until every position is claimed or the scan is cancelled; returns false if cancelled.</summary>
    public bool Run(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        try
        {
            return SendAll(cancellationToken);
        }
        finally
        {
            Elapsed = _time.GetElapsedTime(started);
        }
    }

    private bool SendAll(CancellationToken cancellationToken)
    {
        var count = _cursor.Count;
        var source = _template.Source;
        var frames = _frames.AsSpan();
        ulong remaining;
        while ((remaining = _cursor.Remaining) > 0)
        {
            var granted = _throttle.Acquire((int)Math.Min(Batch, remaining), cancellationToken);
            if (granted == 0)
            {
                return false;
            }

            Volatile.Write(ref _inFlightFrom, _cursor.Next);
            var claimed = _cursor.Claim(granted, out var position);
            if (claimed == 0)
            {
                Volatile.Write(ref _inFlightFrom, Idle);
                return true;
            }

            var excluded = _exclusions?.Current;
            if (excluded is { IsEmpty: true })
            {
                excluded = null;
            }

            var filled = 0;
            var skipped = 0;
            var refused = 0;
            for (var k = 0; k < claimed; k++)
            {
                // Sweeps are laid end to end; the index within the sweep picks the probe and its source port, so
                // every sweep sends the identical SYN (a retransmission to the target) and any reply maps to one probe.
                var index = (position + (ulong)k) % count;
                _targets.Decode(_order.Shuffle(index), out var address, out var port);
                if (excluded is not null && excluded.Excludes(address, port))
                {
                    refused++;
                    continue;
                }

                var target = new Ipv4H(address);
                var nextHop = default(MacAddress);
                if (_neighbours is not null && !_neighbours.TryGet(target, out nextHop))
                {
                    skipped++;
                    continue;
                }

                var targetPort = new PortH(port);
                var sourcePort = new PortH((ushort)(_firstSourcePort + (uint)(index % _sourcePortCount)));
                var sequence = _cookie.Compute(source, target, sourcePort, targetPort);
                var frame = frames.Slice(filled * SynTemplate.FrameLength, SynTemplate.FrameLength);
                _template.Patch(frame, target, sourcePort, targetPort, sequence);
                if (_neighbours is not null)
                {
                    SynTemplate.PatchNextHop(frame, nextHop);
                }

                filled++;
            }

            var accepted = filled == 0 ? 0 : _device.Send(frames, SynTemplate.FrameLength, filled);
            Volatile.Write(ref _sent, _sent + accepted);
            if (accepted != filled)
            {
                Volatile.Write(ref _errors, _errors + (filled - accepted));
            }

            if (skipped > 0)
            {
                Volatile.Write(ref _unreachable, _unreachable + skipped);
            }

            Volatile.Write(ref _inFlightFrom, Idle);
            if (refused > 0)
            {
                Volatile.Write(ref _excluded, _excluded + refused);
            }
        }

        return true;
    }
}
