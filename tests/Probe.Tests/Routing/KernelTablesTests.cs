using Outpost.Probe.Packets;
using Outpost.Probe.Routing;

namespace Outpost.Probe.Tests.Routing;

/// <summary>The /proc parsers against fixed copies of the kernel's tables.</summary>
public sealed class KernelTablesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("outpost-proc").FullName;

    public KernelTablesTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "net"));
        File.WriteAllText(Path.Combine(_root, "net/route"),
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            + "eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
            + "eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
            + "veth1\t00004D0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
            + "veth2\t00004D0A\t00000000\t0001\t0\t0\t50\t00FFFFFF\t0\t0\t0\n"
            + "down0\t0000000B\t00000000\t0000\t0\t0\t0\t000000FF\t0\t0\t0\n");
        File.WriteAllText(Path.Combine(_root, "net/arp"),
            "IP address       HW type     Flags       HW address            Mask     Device\n"
            + "192.168.0.1      0x1         0x2         52:54:00:12:34:56     *        eth0\n"
            + "10.77.0.2        0x1         0x0         00:00:00:00:00:00     *        veth1\n"
            + "10.77.0.3        0x1         0x2         aa:bb:cc:dd:ee:ff     *        veth1\n");
    }

    [Fact]
    public void Picks_the_longest_prefix_then_the_lowest_metric()
    {
        var tables = new KernelRouteResolver(_root, _root);
        Assert.Equal(("veth1", new Ipv4H(0)), tables.LookupRoute(new Ipv4H(0x0A4D0002), null));
        Assert.Equal(("veth2", new Ipv4H(0)), tables.LookupRoute(new Ipv4H(0x0A4D0002), "veth2"));
        Assert.Equal(("eth0", new Ipv4H(0)), tables.LookupRoute(new Ipv4H(0xC0A80005), null));
        Assert.Equal(("eth0", new Ipv4H(0xC0A80001)), tables.LookupRoute(new Ipv4H(0x08080808), null)); // default via 192.168.0.1
        Assert.Equal(("eth0", new Ipv4H(0xC0A80001)), tables.LookupRoute(new Ipv4H(0x0B000001), null)); // route that is down is ignored
        Assert.Null(tables.LookupRoute(new Ipv4H(0x08080808), "veth1"));
    }

    [Fact]
    public void Reads_only_complete_neighbours_on_the_right_device()
    {
        var tables = new KernelRouteResolver(_root, _root);
        Assert.Equal(new MacAddress(0x525400123456), tables.LookupNeighbour(new Ipv4H(0xC0A80001), "eth0"));
        Assert.Equal(new MacAddress(0xAABBCCDDEEFF), tables.LookupNeighbour(new Ipv4H(0x0A4D0003), "veth1"));
        Assert.Null(tables.LookupNeighbour(new Ipv4H(0x0A4D0002), "veth1")); // incomplete
        Assert.Null(tables.LookupNeighbour(new Ipv4H(0xC0A80001), "veth1")); // other device
    }

    [Fact]
    public void Proc_addresses_are_network_order_bytes_in_native_hex()
    {
        Assert.Equal(0xC0A80001u, KernelRouteResolver.ParseProcAddress("0100A8C0"));
        Assert.True(MacAddress.TryParse("02:00:0a:4d:00:01", out var mac));
        Assert.Equal("02:00:0a:4d:00:01", mac.ToString());
        Assert.False(MacAddress.TryParse("02:00:0a:4d:00", out _));
        Assert.False(MacAddress.TryParse("02-00-0a-4d-00-01", out _));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
