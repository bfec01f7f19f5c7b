using Outpost.Probe.Targets;

namespace Outpost.Probe.Tests.Targets;

public class Ipv4RangeTests
{
    [Theory]
    [InlineData("10.0.0.0/24", 0x0A000000u, 0x0A0000FFu, "10.0.0.0/24")]
    [InlineData("10.0.0.5", 0x0A000005u, 0x0A000005u, "10.0.0.5")]
    [InlineData(" 10.0.0.1 - 10.0.0.50 ", 0x0A000001u, 0x0A000032u, "10.0.0.1-10.0.0.50")]
    [InlineData("10.0.0.0-10.0.0.255", 0x0A000000u, 0x0A0000FFu, "10.0.0.0/24")]
    [InlineData("0.0.0.0/0", 0u, 0xFFFFFFFFu, "0.0.0.0/0")]
    [InlineData("192.168.1.7/32", 0xC0A80107u, 0xC0A80107u, "192.168.1.7")]
    public void Parses_all_three_spellings(string text, uint first, uint last, string canonical)
    {
        Assert.True(Ipv4Range.TryParse(text, out var range, out var error), error);
        Assert.Null(error);
        Assert.Equal(new Ipv4Range(first, last), range);
        Assert.Equal((ulong)last - first + 1, range.Count);
        Assert.Equal(canonical, range.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("10.0.0", "not an IPv4 address")]
    [InlineData("10.0.0.256", "not an IPv4 address")]
    [InlineData("10.0.0.1.2", "not an IPv4 address")]
    [InlineData("1", "not an IPv4 address")]
    [InlineData("example.com", "not an IPv4 address")]
    [InlineData("10.0.0.0/33", "prefix length")]
    [InlineData("10.0.0.0/", "prefix length")]
    [InlineData("10.0.0.0/-1", "prefix length")]
    [InlineData("10.0.0.0/2x", "prefix length")]
    [InlineData("10.0.0.5/24", "host bits set; the network is 10.0.0.0/24")]
    [InlineData("x/24", "is not an IPv4 address")]
    [InlineData("10.0.0.9-10.0.0.1", "reversed")]
    [InlineData("10.0.0.1-", "range of two IPv4 addresses")]
    [InlineData("10.0.0.1-10.0.0.2-10.0.0.3", "range of two IPv4 addresses")]
    [InlineData("::1", "not an IPv4 address")]
    public void Rejects_bad_input_with_a_clear_sentence(string text, string expected)
    {
        Assert.False(Ipv4Range.TryParse(text, out _, out var error));
        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.EndsWith(".", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.0/24", new[] { "10.0.0.0/24" })]
    [InlineData("10.0.0.5", new[] { "10.0.0.5/32" })]
    [InlineData("10.0.0.1-10.0.0.6", new[] { "10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32" })]
    [InlineData("10.0.0.0-10.0.2.255", new[] { "10.0.0.0/23", "10.0.2.0/24" })]
    [InlineData("0.0.0.0/0", new[] { "0.0.0.0/0" })]
    [InlineData("255.255.255.254-255.255.255.255", new[] { "255.255.255.254/31" })]
    public void Covers_a_range_with_the_fewest_cidrs(string text, string[] expected)
    {
        Assert.True(Ipv4Range.TryParse(text, out var range, out _));
        Assert.Equal(expected, range.ToCidrs().ToArray());
    }

    [Fact]
    public void Cidr_cover_is_exact_for_many_ranges()
    {
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            var first = (uint)random.Next(0, 1 << 12);
            var last = first + (uint)random.Next(0, 1 << 10);
            var cidrs = new Ipv4Range(first, last).ToCidrs().ToList();
            ulong expectedNext = first;
            foreach (var cidr in cidrs)
            {
                Assert.True(Ipv4Range.TryParse(cidr, out var block, out var error), error);
                Assert.Equal(expectedNext, block.First);
                expectedNext = (ulong)block.Last + 1;
            }

            Assert.Equal((ulong)last + 1, expectedNext);
            Assert.True(cidrs.Count <= 2 * 32);
        }
    }
}
