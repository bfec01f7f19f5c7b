using System.Buffers.Binary;
using System.Collections.Concurrent;
using Outpost.Probe.Packets;

namespace Outpost.Probe.Capture;

/// <summary>How a simulated host answers a SYN.</summary>
public enum SimulatedAnswer
{
    /// <summary>No answer (filtered, or no host).</summary>
    Silent,

    /// <summary>SYN-ACK.</summary>
    Open,

    /// <summary>RST-ACK.</summary>
    Closed,
}

/// <summary>
/// An in-memory network for tests and dry runs: every SYN the engine sends is parsed, recorded, and answered (or
/// not) by a caller-supplied rule, the answer is built as a real frame and handed to the receive loop. It exercises
/// the whole engine — permutation, templates, cookies, matching, dedup — without raw sockets or privileges.
/// Not a hot path: it allocates per frame, which is acceptable for a simulation.
/// </summary>
public sealed class SimulatedNetworkDevice : IPacketDevice, IPacketDeviceFactory
{
    private readonly Func<Ipv4H, PortH, SimulatedAnswer> _answer;
    private readonly BlockingCollection<byte[]> _replies = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<(Ipv4H Target, PortH Port)> _probes = new();
    private long _sent;
    private int _disposed;

    /// <summary>A network where <paramref name="answer"/> decides each reply.</summary>
    public SimulatedNetworkDevice(Func<Ipv4H, PortH, SimulatedAnswer> answer) => _answer = answer;

    /// <summary>How many copies of each reply to deliver (to test that duplicates are reported once).</summary>
    public int ReplyCopies { get; init; } = 1;

    /// <summary>TTL written in replies.</summary>
    public byte ReplyTtl { get; init; } = 64;

    /// <summary>When true, every probe is recorded in <see cref="Probes"/>.</summary>
    public bool RecordProbes { get; init; }

    /// <summary>Frames accepted by <see cref="Send"/>.</summary>
    public long SentFrames => Interlocked.Read(ref _sent);

    /// <summary>The probes seen, in send order (only with <see cref="RecordProbes"/>).</summary>
    public IReadOnlyCollection<(Ipv4H Target, PortH Port)> Probes => _probes;

    /// <summary>The last request the engine opened the device with.</summary>
    public DeviceRequest? Request { get; private set; }

    public IPacketDevice Open(DeviceRequest request)
    {
        Request = request;
        return this;
    }

    /// <summary>A handle on <see cref="Send"/>, which is thread-safe; disposing the handle leaves the device open.</summary>
    public IFrameSender CreateSender() => new Sender(this);

    public int Send(ReadOnlySpan<byte> frames, int frameLength, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var frame = frames.Slice(i * frameLength, frameLength);
            var ip = frame[14..];
            var tcp = ip[((ip[0] & 0x0F) * 4)..];
            var source = Ipv4H.Read(ip[12..]);
            var target = Ipv4H.Read(ip[16..]);
            var sourcePort = BinaryPrimitives.ReadUInt16BigEndian(tcp);
            var targetPort = new PortH(BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]));
            var seq = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
            Interlocked.Increment(ref _sent);
            if (RecordProbes)
            {
                _probes.Enqueue((target, targetPort));
            }

            var answer = _answer(target, targetPort);
            if (answer == SimulatedAnswer.Silent)
            {
                continue;
            }

            var reply = new byte[54];
            frame[6..12].CopyTo(reply);
            frame[..6].CopyTo(reply.AsSpan(6));
            BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(12), 0x0800);
            var rip = reply.AsSpan(14, 20);
            rip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(rip[2..], 40);
            rip[8] = ReplyTtl;
            rip[9] = 6;
            target.Write(rip[12..]);
            source.Write(rip[16..]);
            var rtcp = reply.AsSpan(34, 20);
            BinaryPrimitives.WriteUInt16BigEndian(rtcp, targetPort.Value);
            BinaryPrimitives.WriteUInt16BigEndian(rtcp[2..], sourcePort);
            BinaryPrimitives.WriteUInt32BigEndian(rtcp[4..], 0x1234_5678);
            BinaryPrimitives.WriteUInt32BigEndian(rtcp[8..], unchecked(seq + 1));
            rtcp[12] = 5 << 4;
            rtcp[13] = answer == SimulatedAnswer.Open ? (byte)(TcpFlags.Syn | TcpFlags.Ack) : (byte)(TcpFlags.Rst | TcpFlags.Ack);
            for (var copy = 0; copy < ReplyCopies; copy++)
            {
                _replies.Add(reply);
            }
        }

        return count;
    }

    public void Receive(IFrameSink sink)
    {
        try
        {
            foreach (var reply in _replies.GetConsumingEnumerable(_stop.Token))
            {
                sink.OnFrame(reply);
            }
        }
        catch (OperationCanceledException)
        {
            // StopReceiving: the normal way out.
        }
    }

    public void StopReceiving() => _stop.Cancel();

    public CaptureStatistics ReadStatistics() => new(0, 0);

    /// <summary>Ends the simulation. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stop.Dispose();
            _replies.Dispose();
        }
    }

    private sealed class Sender(SimulatedNetworkDevice device) : IFrameSender
    {
        public int Send(ReadOnlySpan<byte> frames, int frameLength, int count) => device.Send(frames, frameLength, count);

        public void Dispose()
        {
        }
    }
}
