// HOT PATH: OnFrame runs for every captured frame on the receive thread. It allocates nothing and takes no locks;
// the only call out is the observer, once per new finding.
//
// Matching is stateless: a frame counts only if it is a SYN-ACK or RST-ACK to our address and source-port range
// whose acknowledgment number validates against the SYN cookie recomputed from the frame's own addresses and ports
// (see SynCookie). Checksums are not checked (see TcpReply). A validated reply is then mapped back to its probe
// index, and the deduplicator decides whether it is news.

using Outpost.Probe.Capture;
using Outpost.Probe.Packets;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Engine;

/// <summary>Turns captured frames into deduplicated <see cref="ScanResult"/>s.</summary>
internal sealed class ReplyMatcher : IFrameSink
{
    private readonly TargetSet _targets;
    private readonly SynCookie _cookie;
    private readonly Ipv4H _source;
    private readonly ushort _firstPort;
    private readonly ushort _lastPort;
    private readonly ReplyDeduplicator _seen;
    private readonly IScanObserver _observer;
    private long _replies;
    private long _open;
    private long _closed;

    public ReplyMatcher(ScanRequest request, SynCookie cookie, Ipv4H source, IScanObserver observer)
    {
        _targets = request.Targets;
        _cookie = cookie;
        _source = source;
        _firstPort = request.FirstSourcePort;
        _lastPort = request.LastSourcePort;
        _seen = new ReplyDeduplicator(request.Targets.Count);
        _observer = observer;
    }

    /// <summary>Validated replies, duplicates included.</summary>
    public long Replies => Volatile.Read(ref _replies);

    public long Open => Volatile.Read(ref _open);

    public long Closed => Volatile.Read(ref _closed);

    public void OnFrame(ReadOnlySpan<byte> frame)
    {
        if (!TcpReply.TryParse(frame, out var reply)
            || reply.To != _source
            || reply.ToPort.Value < _firstPort || reply.ToPort.Value > _lastPort
            || !(reply.IsSynAck || reply.IsRstAck)
            || !_cookie.Validate(_source, reply.From, reply.ToPort, reply.FromPort, reply.Acknowledgment))
        {
            return;
        }

        Volatile.Write(ref _replies, _replies + 1);
        if (!_targets.TryEncode(reply.From.Value, reply.FromPort.Value, out var index) || !_seen.TryAdd(index))
        {
            return;
        }

        var state = reply.IsSynAck ? PortState.Open : PortState.Closed;
        if (state == PortState.Open)
        {
            Volatile.Write(ref _open, _open + 1);
        }
        else
        {
            Volatile.Write(ref _closed, _closed + 1);
        }

        _observer.OnResult(new ScanResult(reply.From, reply.FromPort, state, reply.Ttl));
    }
}
