using System.Globalization;
using System.Net;

namespace Outpost.Probe.Capabilities;

/// <summary>
/// The start URLs a web capability tries for one (address, port): the job names ports, not schemes, so both are
/// tried, the likelier first — HTTPS on the ports where it is the convention, HTTP elsewhere.
/// </summary>
public static class WebTargets
{
    private static readonly int[] TlsPorts = [443, 4443, 8443, 9443, 10443];

    public static IReadOnlyList<Uri> StartUrls(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var http = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{endpoint.Address}:{endpoint.Port}/"));
        var https = new Uri(string.Create(CultureInfo.InvariantCulture, $"https://{endpoint.Address}:{endpoint.Port}/"));
        return Array.IndexOf(TlsPorts, endpoint.Port) >= 0 ? [https, http] : [http, https];
    }
}
