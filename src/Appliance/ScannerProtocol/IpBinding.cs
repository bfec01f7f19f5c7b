using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Outpost.Appliance.ScannerProtocol;

/// <summary>
/// A scanner's <c>allowedCidrs</c>: validated and normalised when an admin sets them, checked on every job fetch.
/// The parsed networks are cached per scanner and reused while the scanner record's list is the same instance, so
/// the claim path does not parse text.
/// </summary>
public sealed class IpBinding
{
    private readonly ConcurrentDictionary<long, (IReadOnlyList<string> Source, IPNetwork[] Networks)> _parsed = new();

    /// <summary>
    /// Parses a CIDR block or single address (IPv4 or IPv6) into its canonical text; null with an error otherwise.
    /// Host bits set (10.0.0.5/24) are refused, as for scan targets.
    /// </summary>
    public static string? Normalize(string? text, out string? error)
    {
        error = null;
        var s = text?.Trim();
        if (string.IsNullOrEmpty(s))
        {
            error = "An allowed CIDR is empty.";
            return null;
        }

        // IPAddress.TryParse accepts shorthand such as "10.1"; an IPv4 address here must be a full dotted quad.
        if (!s.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(s, out var single)
            && (single.AddressFamily != AddressFamily.InterNetwork || s.Count(c => c == '.') == 3))
        {
            return new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128).ToString();
        }

        // IPNetwork.TryParse masks host bits away (10.0.0.5/24 becomes 10.0.0.0/24): refuse those instead.
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && IPNetwork.TryParse(s, out var network) && IPAddress.TryParse(s.AsSpan(0, slash), out var address)
            && network.BaseAddress.Equals(address) && (address.AddressFamily != AddressFamily.InterNetwork || s.AsSpan(0, slash).Count('.') == 3))
        {
            return network.ToString();
        }

        error = $"'{s}' is not a CIDR block such as 10.0.0.0/24 (or it has host bits set).";
        return null;
    }

    /// <summary>True if the scanner may fetch jobs from <paramref name="remote"/>; an empty list allows anywhere.</summary>
    public bool Allows(Store.Model.Scanner scanner, IPAddress? remote)
    {
        var cidrs = scanner.AllowedCidrs;
        if (cidrs.Count == 0)
        {
            return true;
        }

        if (remote is null)
        {
            return false;
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        if (!_parsed.TryGetValue(scanner.Id, out var entry) || !ReferenceEquals(entry.Source, cidrs))
        {
            var networks = new List<IPNetwork>(cidrs.Count);
            foreach (var cidr in cidrs)
            {
                if (Normalize(cidr, out _) is { } normalized)
                {
                    networks.Add(IPNetwork.Parse(normalized));
                }
            }

            entry = (cidrs, networks.ToArray());
            _parsed[scanner.Id] = entry;
        }

        foreach (var network in entry.Networks)
        {
            if (network.Contains(remote))
            {
                return true;
            }
        }

        return false;
    }
}
