// HOT PATH: Compute runs once per probe sent and once per reply received. Allocates nothing.
//
// Stateless matching needs the scanner to recognise its own replies without remembering what it sent. As in
// masscan and zmap, the TCP sequence number of each SYN is a keyed hash of the connection's four-tuple; a genuine
// SYN-ACK or RST acknowledges seq + 1, so a reply is ours exactly when ack − 1 equals the hash recomputed from the
// reply's addresses and ports. Anyone who does not know the key cannot forge a matching reply except by a 2^-32
// guess, and stray traffic to our source ports (another scanner, a late reply from a previous run with a different
// key) is rejected for free.
//
// The hash is SipHash-2-4 (Aumasson & Bernstein), a PRF designed for short inputs: here exactly two 64-bit words
// (the two addresses, then the two ports), specialised so that no buffer is built. The 128-bit key is random per
// scan and never derived from the permutation seed, which may be fixed for reproducibility.

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Outpost.Probe.Packets;

/// <summary>The keyed sequence-number generator and validator; immutable and thread-safe.</summary>
public sealed class SynCookie
{
    private readonly ulong _k0;
    private readonly ulong _k1;

    /// <summary>Creates a cookie with an explicit key (tests, reproducible runs).</summary>
    public SynCookie(ulong k0, ulong k1)
    {
        _k0 = k0;
        _k1 = k1;
    }

    /// <summary>A cookie with a fresh random key.</summary>
    public static SynCookie CreateRandom()
    {
        Span<byte> key = stackalloc byte[16];
        RandomNumberGenerator.Fill(key);
        return new SynCookie(BitConverter.ToUInt64(key), BitConverter.ToUInt64(key[8..]));
    }

    /// <summary>The sequence number for a SYN from <paramref name="source"/>:<paramref name="sourcePort"/> to <paramref name="target"/>:<paramref name="targetPort"/>.</summary>
    public uint Compute(Ipv4H source, Ipv4H target, PortH sourcePort, PortH targetPort)
    {
        var m0 = ((ulong)source.Value << 32) | target.Value;
        var m1 = ((ulong)sourcePort.Value << 16) | targetPort.Value;
        return (uint)SipHash24(_k0, _k1, m0, m1);
    }

    /// <summary>
    /// True when <paramref name="acknowledgment"/>, taken from a reply sent by <paramref name="target"/>:<paramref name="targetPort"/>
    /// to <paramref name="source"/>:<paramref name="sourcePort"/>, acknowledges one of our SYNs.
    /// </summary>
    public bool Validate(Ipv4H source, Ipv4H target, PortH sourcePort, PortH targetPort, uint acknowledgment) =>
        unchecked(acknowledgment - 1) == Compute(source, target, sourcePort, targetPort);

    /// <summary>SipHash-2-4 of a 16-byte message given as two little-endian words; internal for the reference-vector test.</summary>
    internal static ulong SipHash24(ulong k0, ulong k1, ulong m0, ulong m1)
    {
        var v0 = k0 ^ 0x736f6d6570736575UL;
        var v1 = k1 ^ 0x646f72616e646f6dUL;
        var v2 = k0 ^ 0x6c7967656e657261UL;
        var v3 = k1 ^ 0x7465646279746573UL;

        v3 ^= m0;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= m0;

        v3 ^= m1;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= m1;

        // Final block: no remaining bytes, message length 16 in the top byte.
        const ulong Last = 16UL << 56;
        v3 ^= Last;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= Last;

        v2 ^= 0xFF;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1;
        v1 = BitOperations.RotateLeft(v1, 13);
        v1 ^= v0;
        v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3;
        v3 = BitOperations.RotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = BitOperations.RotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = BitOperations.RotateLeft(v1, 17);
        v1 ^= v2;
        v2 = BitOperations.RotateLeft(v2, 32);
    }
}
