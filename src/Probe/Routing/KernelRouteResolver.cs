// Route discovery reads the kernel's own tables instead of asking a user to name the interface and gateway MAC:
//
// 1. The source address comes from the kernel's route lookup itself: connect() on a UDP socket sends nothing but
//    makes the kernel choose the source address it would use for the target (policy routing, preferred source and
//    all), read back with getsockname. With --interface the socket is bound to that device first.
// 2. The interface and gateway come from /proc/net/route (the main table, longest prefix, then lowest metric).
//    Targets that are local addresses, or in 127.0.0.0/8, go out on the loopback device, which libpcap presents as
//    Ethernet with zero MACs on both ends.
// 3. Our MAC is /sys/class/net/IF/address; the next hop's is /proc/net/arp. When the neighbour is not yet known we
//    send one UDP datagram to its discard port, which makes the kernel ARP for it, and poll the table for a few
//    seconds. When the targets are on the link itself (no gateway), every host has its own MAC: all of them are
//    resolved this way before the scan (up to 65 536 hosts), and hosts that never answer ARP are not probed — on a
//    link, no ARP answer means no host.
//
// Loopback: a frame injected on "lo" reaches IP input without the route the kernel attaches to its own loopback
// traffic, so it is routed like a frame from a wire: 127.0.0.0/8 addresses are martians unless
// net.ipv4.conf.lo.route_localnet=1, and a source address that is our own is rejected unless
// net.ipv4.conf.lo.accept_local=1. Both are needed to scan the loopback device (in the network namespace where the
// scan runs; the integration tests set them inside their own namespace). The resolver warns when they are off.

using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Outpost.Probe.Packets;
using Outpost.Probe.Targets;

namespace Outpost.Probe.Routing;

/// <summary>The production <see cref="IRouteResolver"/> on Linux's routing and neighbour tables.</summary>
public sealed class KernelRouteResolver : IRouteResolver
{
    private const int ArpFlagComplete = 0x2;
    private const int LinuxSolSocket = 1; // SOL_SOCKET on Linux (SocketOptionLevel.Socket is the Windows value)
    private const int LinuxBindToDevice = 25; // SO_BINDTODEVICE
    private readonly string _procRoot;
    private readonly string _sysRoot;

    /// <summary>Reads /proc and /sys; the roots can be redirected for tests of the table parsers.</summary>
    public KernelRouteResolver(string procRoot = "/proc", string sysRoot = "/sys")
    {
        _procRoot = procRoot;
        _sysRoot = sysRoot;
    }

    /// <summary>How long to wait for the kernel to resolve a neighbour's MAC.</summary>
    public TimeSpan NeighbourTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public async Task<Route> ResolveAsync(Ipv4H target, string? interfaceName, CancellationToken cancellationToken)
    {
        var source = SourceAddressFor(target, interfaceName);
        var loopback = (target.Value >> 24) == 127 || source == target;
        string device;
        Ipv4H? gateway = null;
        if (loopback && interfaceName is null)
        {
            device = LoopbackName();
        }
        else
        {
            var entry = LookupRoute(target, interfaceName);
            if (entry is null && interfaceName is null)
            {
                throw new RouteException($"There is no route to {target} in the kernel's routing table.");
            }

            device = interfaceName ?? entry!.Value.Interface;
            if (entry is { Gateway.Value: not 0 })
            {
                gateway = entry.Value.Gateway;
            }
        }

        if (IsLoopbackDevice(device))
        {
            return new Route(device, source, MacAddress.Zero, MacAddress.Zero, null, IsLoopback: true) { Warning = LoopbackWarning(device) };
        }

        var ourMac = ReadInterfaceMac(device);
        var nextHop = gateway ?? target;
        var neighbour = await ResolveNeighbourAsync(nextHop, device, cancellationToken).ConfigureAwait(false);
        return new Route(device, source, ourMac, neighbour, gateway, IsLoopback: false);
    }

    /// <summary>Most on-link hosts one scan resolves by ARP; bigger on-link ranges must be split into jobs.</summary>
    public const int MaxOnLinkHosts = 65536;

    public async Task<NeighbourTable?> ResolveNeighboursAsync(Route route, IEnumerable<Ipv4H> hosts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(hosts);
        if (!route.OnLink)
        {
            return null;
        }

        var wanted = new HashSet<uint>();
        foreach (var host in hosts)
        {
            if (!wanted.Add(host.Value) || wanted.Count > MaxOnLinkHosts)
            {
                throw new RouteException($"The targets on {route.Interface} are on the link and exceed {MaxOnLinkHosts} addresses; split them into smaller jobs.");
            }
        }

        var known = ReadNeighbours(route.Interface, wanted);
        if (known.Count < wanted.Count)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.SetRawSocketOption(LinuxSolSocket, LinuxBindToDevice, Encoding.ASCII.GetBytes(route.Interface + "\0"));
            foreach (var host in wanted)
            {
                if (!known.ContainsKey(host))
                {
                    socket.SendTo([0], new IPEndPoint(Ipv4Range.ToIPAddress(host), 9));
                }
            }

            var deadline = DateTime.UtcNow + NeighbourTimeout;
            while (known.Count < wanted.Count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
                known = ReadNeighbours(route.Interface, wanted);
            }
        }

        return new NeighbourTable(known);
    }

    /// <summary>The best /proc/net/route entry for <paramref name="target"/> (optionally on one interface).</summary>
    internal (string Interface, Ipv4H Gateway)? LookupRoute(Ipv4H target, string? interfaceName)
    {
        (string Interface, Ipv4H Gateway)? best = null;
        var bestBits = -1;
        var bestMetric = int.MaxValue;
        foreach (var line in File.ReadLines(Path.Combine(_procRoot, "net/route")).Skip(1))
        {
            var f = line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (f.Length < 8 || (interfaceName is not null && f[0] != interfaceName))
            {
                continue;
            }

            var destination = ParseProcAddress(f[1]);
            var gateway = ParseProcAddress(f[2]);
            var flags = int.Parse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var metric = int.Parse(f[6], CultureInfo.InvariantCulture);
            var mask = ParseProcAddress(f[7]);
            if ((flags & 0x1) == 0 || (target.Value & mask) != destination)
            {
                continue; // route not up, or does not cover the target
            }

            var bits = System.Numerics.BitOperations.PopCount(mask);
            if (bits > bestBits || (bits == bestBits && metric < bestMetric))
            {
                best = (f[0], new Ipv4H(gateway));
                bestBits = bits;
                bestMetric = metric;
            }
        }

        return best;
    }

    /// <summary>The MAC of <paramref name="address"/> on <paramref name="device"/> from /proc/net/arp, if complete.</summary>
    internal MacAddress? LookupNeighbour(Ipv4H address, string device) =>
        ReadNeighbours(device, new HashSet<uint> { address.Value }).TryGetValue(address.Value, out var mac) ? mac : null;

    /// <summary>Complete /proc/net/arp entries on <paramref name="device"/> for the addresses in <paramref name="wanted"/>.</summary>
    internal Dictionary<uint, MacAddress> ReadNeighbours(string device, IReadOnlySet<uint> wanted)
    {
        var found = new Dictionary<uint, MacAddress>();
        foreach (var line in File.ReadLines(Path.Combine(_procRoot, "net/arp")).Skip(1))
        {
            // IP address, HW type, Flags, HW address, Mask, Device
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 6 && f[5] == device
                && Ipv4Range.TryParseAddress(f[0], out var address) && wanted.Contains(address)
                && (int.Parse(f[2].AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & ArpFlagComplete) != 0
                && MacAddress.TryParse(f[3], out var mac))
            {
                found[address] = mac;
            }
        }

        return found;
    }

    /// <summary>
    /// /proc/net/route prints each address as the kernel's 32-bit value in hex, i.e. network-order bytes read as a
    /// native integer: byte-swap on little-endian machines to get host order.
    /// </summary>
    internal static uint ParseProcAddress(string hex)
    {
        var raw = uint.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(raw) : raw;
    }

    private static Ipv4H SourceAddressFor(Ipv4H target, string? interfaceName)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (interfaceName is not null)
            {
                socket.SetRawSocketOption(LinuxSolSocket, LinuxBindToDevice, Encoding.ASCII.GetBytes(interfaceName + "\0"));
            }

            socket.Connect(new IPEndPoint(Ipv4Range.ToIPAddress(target.Value), 9));
        }
        catch (SocketException ex)
        {
            throw new RouteException($"The kernel has no route to {target}{(interfaceName is null ? "" : " via " + interfaceName)}: {ex.Message}", ex);
        }

        return new Ipv4H(Ipv4Range.FromIPAddress(((IPEndPoint)socket.LocalEndPoint!).Address));
    }

    private async Task<MacAddress> ResolveNeighbourAsync(Ipv4H nextHop, string device, CancellationToken cancellationToken)
    {
        if (LookupNeighbour(nextHop, device) is { } known)
        {
            return known;
        }

        // Nudge the kernel: a datagram to the discard port cannot leave until the neighbour is resolved.
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            socket.SetRawSocketOption(LinuxSolSocket, LinuxBindToDevice, Encoding.ASCII.GetBytes(device + "\0"));
            socket.SendTo([0], new IPEndPoint(Ipv4Range.ToIPAddress(nextHop.Value), 9));
        }

        var deadline = DateTime.UtcNow + NeighbourTimeout;
        var delay = TimeSpan.FromMilliseconds(5);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            if (LookupNeighbour(nextHop, device) is { } mac)
            {
                return mac;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMilliseconds(200).Ticks));
        }

        throw new RouteException($"The next hop {nextHop} on {device} did not answer ARP within {NeighbourTimeout.TotalSeconds:0.#} s.");
    }

    private string? LoopbackWarning(string device)
    {
        bool On(string setting)
        {
            var path = Path.Combine(_procRoot, "sys/net/ipv4/conf", device, setting);
            var all = Path.Combine(_procRoot, "sys/net/ipv4/conf/all", setting);
            return (File.Exists(path) && File.ReadAllText(path).Trim() == "1") || (File.Exists(all) && File.ReadAllText(all).Trim() == "1");
        }

        return On("route_localnet") && On("accept_local")
            ? null
            : $"scanning through {device} needs sysctl net.ipv4.conf.{device}.route_localnet=1 and net.ipv4.conf.{device}.accept_local=1; without them the kernel drops every probe.";
    }

    private MacAddress ReadInterfaceMac(string device)
    {
        var path = Path.Combine(_sysRoot, "class/net", device, "address");
        if (!File.Exists(path))
        {
            throw new RouteException($"There is no network interface named {device}.");
        }

        return MacAddress.TryParse(File.ReadAllText(path), out var mac)
            ? mac
            : throw new RouteException($"Interface {device} has no Ethernet address.");
    }

    // ARPHRD_LOOPBACK = 772 in /sys/class/net/IF/type.
    private bool IsLoopbackDevice(string device)
    {
        var path = Path.Combine(_sysRoot, "class/net", device, "type");
        return File.Exists(path) && File.ReadAllText(path).Trim() == "772";
    }

    private string LoopbackName()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.Combine(_sysRoot, "class/net")))
        {
            var name = Path.GetFileName(dir);
            if (IsLoopbackDevice(name))
            {
                return name;
            }
        }

        return "lo";
    }
}
