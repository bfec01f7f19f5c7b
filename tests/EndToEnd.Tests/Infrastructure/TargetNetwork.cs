using System.Globalization;
using Outpost.Probe.Tests.Integration;

namespace Outpost.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The hosts a test scans: the probe tests' <see cref="NetworkNamespace"/> (10.77.N.0/30, target 10.77.N.2) plus
/// 10.77.N.64/26 on the namespace's side, on-link from here through the same veth (the namespace answers ARP for its
/// addresses), so a scan covers 65 addresses on one route without leaving the namespace. (On-link, not via 10.77.N.2:
/// the engine routes a job by its first target, so all of a job's targets must share that route.) Listeners bind 0.0.0.0 inside the namespace, so every address has the same open ports.
/// Dispose deletes the namespace, which removes the veth pair and the route with it.
/// </summary>
public sealed class TargetNetwork : IDisposable
{
    private readonly NetworkNamespace _namespace;

    private TargetNetwork(NetworkNamespace ns, int[] openPorts)
    {
        _namespace = ns;
        OpenPorts = openPorts;
        Block = string.Create(CultureInfo.InvariantCulture, $"10.77.{ns.Subnet}.64/26");
    }

    /// <summary>The extra block behind the namespace's address.</summary>
    public string Block { get; }

    /// <summary>What a scan of this network targets (all inside the namespace).</summary>
    public string[] Targets => [_namespace.TargetAddress, Block];

    public const int AddressCount = 65;

    public int[] OpenPorts { get; }

    /// <summary>Every (address, port) that is open, as "ip:port", sorted.</summary>
    public IReadOnlyList<string> ExpectedOpen =>
    [
        .. Addresses().SelectMany(ip => OpenPorts.Select(port => string.Create(CultureInfo.InvariantCulture, $"{ip}:{port}"))).Order(StringComparer.Ordinal),
    ];

    public static TargetNetwork Create(params int[] openPorts)
    {
        var ns = NetworkNamespace.Create();
        try
        {
            var network = new TargetNetwork(ns, openPorts);
            // A local route makes every address of the block the namespace's own (an address would add just one).
            NetworkNamespace.Run("ip", "-n", ns.Name, "route", "add", "local", network.Block, "dev", "lo");
            NetworkNamespace.Run("ip", "route", "add", network.Block, "dev", ns.HostInterface);
            ns.Listen("0.0.0.0", openPorts);
            return network;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    public void Dispose() => _namespace.Dispose();

    private IEnumerable<string> Addresses()
    {
        yield return _namespace.TargetAddress;
        for (var host = 64; host < 128; host++)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"10.77.{_namespace.Subnet}.{host}");
        }
    }
}
