using Outpost.Probe.Targets;

namespace Outpost.Probe.Tests.Targets;

public class PortListTests
{
    [Theory]
    [InlineData("22,80,443,1000-2000", "22,80,443,1000-2000", 1004)]
    [InlineData(" 443 , 22 ,80", "22,80,443", 3)]
    [InlineData("1-65535", "1-65535", 65535)]
    [InlineData("80,81,82", "80-82", 3)]
    [InlineData("100-200,150-300,301", "100-301", 202)]
    [InlineData("7-7", "7", 1)]
    public void Parses_and_normalises(string text, string canonical, int count)
    {
        Assert.True(PortList.TryParse(text, out var list, out var error), error);
        Assert.Equal(canonical, list!.ToString());
        Assert.Equal(count, list.Count);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("0", "out of range")]
    [InlineData("65536", "out of range")]
    [InlineData("99999", "out of range")]
    [InlineData("2000-1000", "reversed")]
    [InlineData("22,,80", "empty item")]
    [InlineData("22,", "empty item")]
    [InlineData("http", "not a port number")]
    [InlineData("-5", "not a port number")]
    [InlineData("5-", "not a port number")]
    [InlineData("1-2-3", "not a port number")]
    [InlineData("+80", "not a port number")]
    [InlineData("123456", "not a port number")]
    public void Rejects_bad_input_with_a_clear_sentence(string text, string expected)
    {
        Assert.False(PortList.TryParse(text, out var list, out var error));
        Assert.Null(list);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Index_and_port_are_inverse()
    {
        Assert.True(PortList.TryParse("22,80,443,1000-2000,65535", out var list, out _));
        var seen = new HashSet<ushort>();
        for (var i = 0; i < list!.Count; i++)
        {
            var port = list.PortAt(i);
            Assert.True(seen.Add(port));
            Assert.True(list.TryIndexOf(port, out var back));
            Assert.Equal(i, back);
        }

        Assert.False(list.Contains(23));
        Assert.False(list.TryIndexOf(2001, out _));
        Assert.Equal(list.Ranges.Sum(r => r.Last - r.First + 1), list.Count);
    }
}
