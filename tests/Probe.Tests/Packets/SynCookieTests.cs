using Outpost.Probe.Packets;

namespace Outpost.Probe.Tests.Packets;

public class SynCookieTests
{
    private static readonly Ipv4H Us = new(0x0A4D0001);
    private static readonly Ipv4H Them = new(0x0A4D0002);

    [Fact]
    public void SipHash_matches_the_reference_vector()
    {
        // Reference implementation vectors: key 00..0f, message 00..0f (16 bytes) -> db 9b c2 57 7f cc 2a 3f.
        var result = SynCookie.SipHash24(0x0706050403020100, 0x0F0E0D0C0B0A0908, 0x0706050403020100, 0x0F0E0D0C0B0A0908);
        Assert.Equal(0x3F2ACC7F57C29BDBUL, result);
    }

    [Fact]
    public void Accepts_the_acknowledgment_of_our_own_syn()
    {
        var cookie = new SynCookie(1, 2);
        var seq = cookie.Compute(Us, Them, new PortH(61000), new PortH(22));
        Assert.True(cookie.Validate(Us, Them, new PortH(61000), new PortH(22), unchecked(seq + 1)));
    }

    [Fact]
    public void Rejects_forged_and_foreign_replies()
    {
        var cookie = new SynCookie(1, 2);
        var seq = cookie.Compute(Us, Them, new PortH(61000), new PortH(22));
        var ack = unchecked(seq + 1);
        Assert.False(cookie.Validate(Us, Them, new PortH(61000), new PortH(22), seq)); // not acknowledging
        Assert.False(cookie.Validate(Us, Them, new PortH(61000), new PortH(23), ack)); // another port
        Assert.False(cookie.Validate(Us, Them, new PortH(61001), new PortH(22), ack)); // another source port
        Assert.False(cookie.Validate(Us, new Ipv4H(0x0A4D0003), new PortH(61000), new PortH(22), ack)); // another host
        Assert.False(new SynCookie(1, 3).Validate(Us, Them, new PortH(61000), new PortH(22), ack)); // another key

        var random = new Random(3);
        var accepted = 0;
        for (var i = 0; i < 100_000; i++)
        {
            if (cookie.Validate(Us, Them, new PortH(61000), new PortH(22), (uint)random.NextInt64(0, 1L << 32)))
            {
                accepted++;
            }
        }

        Assert.True(accepted <= 1, $"{accepted} random acknowledgments validated");
    }

    [Fact]
    public void Random_keys_differ()
    {
        var a = SynCookie.CreateRandom().Compute(Us, Them, new PortH(61000), new PortH(22));
        var b = SynCookie.CreateRandom().Compute(Us, Them, new PortH(61000), new PortH(22));
        var c = SynCookie.CreateRandom().Compute(Us, Them, new PortH(61000), new PortH(22));
        Assert.False(a == b && b == c);
    }
}
