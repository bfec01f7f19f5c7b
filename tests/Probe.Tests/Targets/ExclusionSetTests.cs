using Outpost.Probe.Targets;

namespace Outpost.Probe.Tests.Targets;

/// <summary>The do-not-scan list's grammar and the per-probe check the send loop makes.</summary>
public sealed class ExclusionSetTests
{
    [Fact]
    public void Whole_addresses_exclude_every_port_and_endpoints_one_port()
    {
        Assert.True(ExclusionSet.TryParse(["10.0.0.0/30", "10.0.1.5:22", "10.0.2.1-10.0.2.3", " 10.0.3.9 "], out var set, out var error), error);

        Assert.True(set!.Excludes(Address("10.0.0.3"), 80));
        Assert.False(set.Excludes(Address("10.0.0.4"), 80));
        Assert.True(set.Excludes(Address("10.0.1.5"), 22));
        Assert.False(set.Excludes(Address("10.0.1.5"), 23));
        Assert.False(set.Excludes(Address("10.0.1.6"), 22));
        Assert.True(set.Excludes(Address("10.0.2.2"), 1));
        Assert.True(set.Excludes(Address("10.0.3.9"), 65535));
        Assert.False(set.Excludes(Address("10.0.3.10"), 1));
        Assert.Equal(["10.0.0.0/30", "10.0.1.5:22", "10.0.2.1-10.0.2.3", "10.0.3.9"], set.Entries);
    }

    [Fact]
    public void Overlapping_ranges_merge_and_duplicates_are_dropped()
    {
        Assert.True(ExclusionSet.TryParse(["10.0.0.0/24", "10.0.0.128/25", "10.0.1.0/24", "10.0.0.0/24"], out var set, out _));
        Assert.Equal([new Ipv4Range(0x0A000000, 0x0A0001FF)], set!.WholeAddresses);
        Assert.Equal(3, set.Entries.Count);
    }

    [Fact]
    public void An_empty_list_excludes_nothing()
    {
        Assert.True(ExclusionSet.TryParse([], out var set, out _));
        Assert.Same(ExclusionSet.Empty, set);
        Assert.True(set!.IsEmpty);
        Assert.False(set.Excludes(0, 0));
    }

    [Theory]
    [InlineData("10.0.0.0/24:22", "'10.0.0.0/24:22' is not an address with a port such as 10.0.0.5:22 (a port excludes one address, not a block).")]
    [InlineData("10.0.0.5:0", "The port in '10.0.0.5:0' must be a number from 1 to 65535.")]
    [InlineData("10.0.0.5:65536", "The port in '10.0.0.5:65536' must be a number from 1 to 65535.")]
    [InlineData("10.0.0.5:http", "The port in '10.0.0.5:http' must be a number from 1 to 65535.")]
    [InlineData("10.0.0.5/24", "Target '10.0.0.5/24' has host bits set; the network is 10.0.0.0/24.")]
    [InlineData("", "The target is empty; expected an IPv4 address, a CIDR block such as 10.0.0.0/24, or a range such as 10.0.0.1-10.0.0.50.")]
    public void A_malformed_entry_is_refused_with_a_sentence(string entry, string message)
    {
        Assert.False(ExclusionSet.TryParse([entry], out _, out var error));
        Assert.Equal(message, error);
    }

    [Fact]
    public void The_check_allocates_nothing()
    {
        Assert.True(ExclusionSet.TryParse(["10.0.0.0/24", "10.1.0.5:443", "192.168.0.0/16"], out var set, out _));
        var hits = 0;
        set!.Excludes(1, 1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (uint a = 0x0A000000; a < 0x0A000000 + 10_000; a++)
        {
            hits += set.Excludes(a, 443) ? 1 : 0;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(256, hits);
    }

    private static uint Address(string text) => Ipv4Range.TryParseAddress(text, out var a) ? a : throw new FormatException(text);
}
