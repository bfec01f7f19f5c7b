using Outpost.Probe.Packets;

namespace Outpost.Probe.Routing;

/// <summary>
/// Where a job's frames go: the interface to send on, the source address and MAC to write, and the MAC of the next
/// hop (the gateway, or the target itself when it is on the link). On loopback both MACs are zero.
/// </summary>
public sealed record Route(string Interface, Ipv4H SourceAddress, MacAddress SourceMac, MacAddress NextHopMac, Ipv4H? Gateway, bool IsLoopback)
{
    /// <summary>Something about this route that will likely make the scan find nothing, for the operator (e.g. loopback sysctls).</summary>
    public string? Warning { get; init; }

    /// <summary>True when targets are reached directly on the link (no gateway): each host then has its own MAC.</summary>
    public bool OnLink => Gateway is null && !IsLoopback;
}

/// <summary>
/// MAC addresses of on-link hosts, resolved once before a scan. Lookups are allocation-free (the send loop uses it per
/// probe); a host missing from the table did not answer ARP and is not probed.
/// </summary>
public sealed class NeighbourTable(IReadOnlyDictionary<uint, MacAddress> byAddress)
{
    private readonly Dictionary<uint, MacAddress> _byAddress = new(byAddress);

    /// <summary>Number of hosts with a known MAC.</summary>
    public int Count => _byAddress.Count;

    /// <summary>The MAC of <paramref name="address"/>, if it answered ARP.</summary>
    public bool TryGet(Ipv4H address, out MacAddress mac) => _byAddress.TryGetValue(address.Value, out mac);
}

/// <summary>Finds the <see cref="Route"/> to a target: the OS seam of route discovery.</summary>
public interface IRouteResolver
{
    /// <summary>
    /// Resolves the route to <paramref name="target"/>, through <paramref name="interfaceName"/> when given.
    /// May send one datagram towards the next hop to make the kernel resolve its MAC. Throws <see cref="RouteException"/>.
    /// </summary>
    Task<Route> ResolveAsync(Ipv4H target, string? interfaceName, CancellationToken cancellationToken);

    /// <summary>
    /// For an on-link route, the MAC of every host in <paramref name="hosts"/> that answers ARP (the kernel is made
    /// to ask where it does not know yet); null when every frame can go to <see cref="Route.NextHopMac"/>.
    /// </summary>
    Task<NeighbourTable?> ResolveNeighboursAsync(Route route, IEnumerable<Ipv4H> hosts, CancellationToken cancellationToken);
}

/// <summary>No usable route or neighbour for a target; the message says which and why.</summary>
public sealed class RouteException : Exception
{
    public RouteException(string message)
        : base(message)
    {
    }

    public RouteException()
    {
    }

    public RouteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A fixed route, for the simulated device and for callers that already know the path.</summary>
public sealed class FixedRouteResolver(Route route) : IRouteResolver
{
    public Task<Route> ResolveAsync(Ipv4H target, string? interfaceName, CancellationToken cancellationToken) => Task.FromResult(route);

    public Task<NeighbourTable?> ResolveNeighboursAsync(Route route, IEnumerable<Ipv4H> hosts, CancellationToken cancellationToken) => Task.FromResult<NeighbourTable?>(null);
}
