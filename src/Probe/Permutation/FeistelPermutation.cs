// HOT PATH: Shuffle is called once per probe by the send loop. It allocates nothing and takes no locks.
//
// The problem: visit every index of [0, N) exactly once, in an order that looks random to the networks being
// scanned (so one subnet or one port is not hammered in a burst), for N up to 2^32 addresses × 65 535 ports, with
// O(1) memory (no shuffled array of N entries) and deterministically under a seed (so a run can be repeated and
// split). masscan solves this with BlackRock, zmap with a cyclic multiplicative group; both are bijections on the
// index space.
//
// The approach here is a keyed Feistel network on a square domain, plus cycle walking (Black & Rogaway, "Ciphers
// with arbitrary finite domains", 2002). Pick a = ceil(sqrt(N)) and view x in [0, a²) as the pair (L, R) = (x mod a,
// x div a). One round maps (L, R) to (R, (L + F_k(R)) mod a); whatever F is, the round is invertible
// (L = (R' − F_k(L')) mod a), so a few rounds are a permutation of [0, a²). That domain is a little larger than N
// (a² < N + 2√N + 1), so when the result lands outside [0, N) we apply the permutation again until it lands inside:
// this "cycle walk" stays a bijection on [0, N) because it follows the permutation's own cycles, and it takes on
// average a²/N ≈ 1 step. Unshuffle runs the rounds backwards with the same walk, which is what the tests use to
// prove the bijection without enumerating huge domains. F is a 64-bit mixer keyed per round from the seed; the
// order only has to look random, not resist cryptanalysis (the SYN cookie is where a real keyed PRF matters).

namespace Outpost.Probe.Permutation;

/// <summary>A seeded bijection on [0, <see cref="Count"/>) with its inverse; see the essay at the top of the file.</summary>
public sealed class FeistelPermutation
{
    private readonly ulong _side;
    private readonly ulong _key0;
    private readonly ulong _key1;
    private readonly ulong _key2;
    private readonly ulong _key3;

    /// <summary>Creates the permutation of [0, <paramref name="count"/>) selected by <paramref name="seed"/>.</summary>
    public FeistelPermutation(ulong count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfZero(count);
        Count = count;
        var side = (ulong)Math.Sqrt(count);
        while (side * side < count)
        {
            side++;
        }

        _side = side;
        var s = seed;
        _key0 = SplitMix(ref s);
        _key1 = SplitMix(ref s);
        _key2 = SplitMix(ref s);
        _key3 = SplitMix(ref s);
    }

    /// <summary>Size of the domain.</summary>
    public ulong Count { get; }

    /// <summary>The position-<paramref name="index"/> element of the shuffled order.</summary>
    public ulong Shuffle(ulong index)
    {
        var x = index;
        do
        {
            x = Forward(x);
        }
        while (x >= Count);

        return x;
    }

    /// <summary>The inverse of <see cref="Shuffle"/>: the position at which <paramref name="value"/> is visited.</summary>
    public ulong Unshuffle(ulong value)
    {
        var x = value;
        do
        {
            x = Backward(x);
        }
        while (x >= Count);

        return x;
    }

    private ulong Forward(ulong x)
    {
        var l = x % _side;
        var r = x / _side;
        (l, r) = (r, (l + Round(_key0, r)) % _side);
        (l, r) = (r, (l + Round(_key1, r)) % _side);
        (l, r) = (r, (l + Round(_key2, r)) % _side);
        (l, r) = (r, (l + Round(_key3, r)) % _side);
        return (r * _side) + l;
    }

    private ulong Backward(ulong x)
    {
        var l = x % _side;
        var r = x / _side;
        (l, r) = ((r + _side - Round(_key3, l)) % _side, l);
        (l, r) = ((r + _side - Round(_key2, l)) % _side, l);
        (l, r) = ((r + _side - Round(_key1, l)) % _side, l);
        (l, r) = ((r + _side - Round(_key0, l)) % _side, l);
        return (r * _side) + l;
    }

    // Reduced modulo the side before use so the subtraction in Backward cannot underflow.
    private ulong Round(ulong key, ulong half)
    {
        var z = (half ^ key) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9UL;
        z ^= z >> 29;
        return z % _side;
    }

    private static ulong SplitMix(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
