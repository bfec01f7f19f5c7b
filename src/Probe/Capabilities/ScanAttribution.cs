using System.Net.Http.Headers;
using Outpost.Probe.Node;

namespace Outpost.Probe.Capabilities;

/// <summary>
/// How every capability announces itself to the services it visits (docs/capabilities.md): the user agent
/// <c>outpost-probe/VERSION (ATTRIBUTION)</c> and, when the appliance or the node sets an attribution text, the
/// <c>X-Scan-Attribution</c> header, so a target's owner can tell whose scanner knocked.
/// </summary>
public static class ScanAttribution
{
    /// <summary>The header name (the same the node sends to the appliance).</summary>
    public const string Header = HttpScannerProtocol.AttributionHeader;

    /// <summary>The probe's version, as every capability reports it.</summary>
    public static string ProbeVersion { get; } = typeof(ScanAttribution).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The user agent for <paramref name="attribution"/> (null or blank: none).</summary>
    public static string UserAgent(string? attribution) =>
        string.IsNullOrWhiteSpace(attribution) ? "outpost-probe/" + ProbeVersion : "outpost-probe/" + ProbeVersion + " (" + attribution.Trim() + ")";

    /// <summary>The headers to send with every request: the attribution header when there is one.</summary>
    public static Dictionary<string, string> Headers(string? attribution) =>
        string.IsNullOrWhiteSpace(attribution) ? [] : new() { [Header] = attribution.Trim() };

    /// <summary>The attribution header as one raw HTTP/1 header line with its CRLF, or empty when there is none.</summary>
    public static string HeaderLine(string? attribution) =>
        string.IsNullOrWhiteSpace(attribution) ? "" : Header + ": " + attribution.Trim() + "\r\n";

    /// <summary>Sets the user agent and the attribution header on an HTTP client's default headers.</summary>
    public static void Apply(HttpRequestHeaders headers, string? attribution)
    {
        ArgumentNullException.ThrowIfNull(headers);
        headers.TryAddWithoutValidation("User-Agent", UserAgent(attribution));
        foreach (var (name, value) in Headers(attribution))
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }
}
