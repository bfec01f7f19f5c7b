using Outpost.Probe.Permutation;

namespace Outpost.Probe.Tests.Permutation;

public class FeistelPermutationTests
{
    [Fact]
    public void Is_a_bijection_on_every_small_domain()
    {
        for (ulong count = 1; count <= 600; count++)
        {
            foreach (var seed in new ulong[] { 0, 1, 0xDEADBEEF })
            {
                var permutation = new FeistelPermutation(count, seed);
                var seen = new bool[count];
                for (ulong i = 0; i < count; i++)
                {
                    var value = permutation.Shuffle(i);
                    Assert.True(value < count);
                    Assert.False(seen[value], $"count {count} seed {seed}: {value} visited twice");
                    seen[value] = true;
                    Assert.Equal(i, permutation.Unshuffle(value));
                }
            }
        }
    }

    [Fact]
    public void Is_exhaustively_a_bijection_on_16_hosts_by_all_ports()
    {
        const ulong Count = 16UL * 65535;
        var permutation = new FeistelPermutation(Count, 99);
        var seen = new System.Collections.BitArray((int)Count);
        for (ulong i = 0; i < Count; i++)
        {
            var value = (int)permutation.Shuffle(i);
            Assert.False(seen[value]);
            seen[value] = true;
        }
    }

    [Fact]
    public void Inverse_holds_on_huge_domains()
    {
        const ulong Count = (1UL << 32) * 65535; // every IPv4 address × every port
        var permutation = new FeistelPermutation(Count, 5);
        var random = new Random(1);
        for (var i = 0; i < 20_000; i++)
        {
            var index = (ulong)random.NextInt64(0, long.MaxValue) % Count;
            var value = permutation.Shuffle(index);
            Assert.True(value < Count);
            Assert.Equal(index, permutation.Unshuffle(value));
        }
    }

    [Fact]
    public void Is_deterministic_under_a_seed_and_differs_between_seeds()
    {
        var a = new FeistelPermutation(10_000, 42);
        var b = new FeistelPermutation(10_000, 42);
        var c = new FeistelPermutation(10_000, 43);
        var differences = 0;
        for (ulong i = 0; i < 10_000; i++)
        {
            Assert.Equal(a.Shuffle(i), b.Shuffle(i));
            differences += a.Shuffle(i) == c.Shuffle(i) ? 0 : 1;
        }

        Assert.True(differences > 9_000);
    }

    // A resume file or a job's cursor is a position in this order, so a scanner upgraded mid-scan must visit the same
    // order as the version that started it: these values were computed by the first implementation (every step with %).
    [Theory]
    [InlineData(16UL * 65535, 99UL, 0UL, 327333UL)]
    [InlineData(16UL * 65535, 99UL, 1UL, 377101UL)]
    [InlineData(16UL * 65535, 99UL, 2UL, 834864UL)]
    [InlineData(16UL * 65535, 99UL, 1048559UL, 231215UL)]
    [InlineData((1UL << 32) * 65535, 5UL, 0UL, 132664664435695UL)]
    [InlineData((1UL << 32) * 65535, 5UL, 123456789UL, 147451665935093UL)]
    [InlineData((1UL << 32) * 65535, 5UL, (1UL << 47) + 3, 174033696633292UL)]
    [InlineData(600UL, 0xDEADBEEFUL, 0UL, 524UL)]
    [InlineData(600UL, 0xDEADBEEFUL, 599UL, 449UL)]
    public void Keeps_the_order_a_seed_has_always_given(ulong count, ulong seed, ulong index, ulong expected)
    {
        var permutation = new FeistelPermutation(count, seed);
        Assert.Equal(expected, permutation.Shuffle(index));
        Assert.Equal(index, permutation.Unshuffle(expected));
    }

    [Fact]
    public void Scatters_neighbouring_indices()
    {
        // Consecutive positions should not map to consecutive values (a subnet must not be swept in order).
        var permutation = new FeistelPermutation(65536, 7);
        var adjacent = 0;
        for (ulong i = 0; i < 65535; i++)
        {
            var d = (long)permutation.Shuffle(i + 1) - (long)permutation.Shuffle(i);
            adjacent += Math.Abs(d) <= 1 ? 1 : 0;
        }

        Assert.True(adjacent < 100, $"{adjacent} adjacent steps");
    }
}
