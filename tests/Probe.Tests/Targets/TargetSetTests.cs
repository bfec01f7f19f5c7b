using Outpost.Probe.Targets;

namespace Outpost.Probe.Tests.Targets;

public class TargetSetTests
{
    [Fact]
    public void Overlapping_targets_are_merged_so_nothing_is_probed_twice()
    {
        Assert.True(TargetSet.TryParse(["10.0.0.0/30", "10.0.0.2-10.0.0.5", "10.0.0.9"], "22,80", out var set, out var error), error);
        Assert.Equal(7UL, set!.HostCount);
        Assert.Equal(14UL, set.Count);
        Assert.Equal(2, set.Ranges.Count);
    }

    [Fact]
    public void Decode_and_encode_are_inverse_over_the_whole_space()
    {
        Assert.True(TargetSet.TryParse(["10.0.0.250-10.0.1.3", "192.168.0.0/29", "172.16.0.1"], "1-3,80,8000-8002", out var set, out _));
        var seen = new HashSet<(uint, ushort)>();
        for (ulong i = 0; i < set!.Count; i++)
        {
            set.Decode(i, out var address, out var port);
            Assert.True(seen.Add((address, port)));
            Assert.True(set.ContainsAddress(address));
            Assert.True(set.TryEncode(address, port, out var back));
            Assert.Equal(i, back);
        }

        Assert.False(set.TryEncode(0x0A000002, 80, out _));
        Assert.False(set.TryEncode(0xAC100001, 81, out _));
    }

    [Fact]
    public void Reports_the_first_bad_item()
    {
        Assert.False(TargetSet.TryParse(["10.0.0.0/24", "nope"], "80", out _, out var error));
        Assert.Contains("'nope'", error, StringComparison.Ordinal);
        Assert.False(TargetSet.TryParse(["10.0.0.0/24"], "0", out _, out error));
        Assert.Contains("out of range", error, StringComparison.Ordinal);
        Assert.False(TargetSet.TryParse([], "80", out _, out error));
        Assert.Equal("No targets were given.", error);
    }
}
