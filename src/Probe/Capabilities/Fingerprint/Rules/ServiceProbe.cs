using System.Text;

namespace Outpost.Probe.Capabilities.Fingerprint.Rules;

/// <summary>One probe: bytes to send (or nothing: wait for a banner), or a TLS handshake; the ports it is tried first on.</summary>
public sealed class ServiceProbe
{
    private ServiceProbe(ProbeSpec spec)
    {
        Id = spec.Id;
        Template = spec.Send;
        Tls = spec.Tls;
        Ports = spec.Ports.ToHashSet();
        TlsPorts = spec.TlsPorts.ToHashSet();
        TlsDefault = spec.TlsDefault;
        ReadToEnd = spec.ReadToEnd;
        Eager = spec.Eager;
        Order = spec.Order;
    }


    public string Id { get; }

    /// <summary>The payload as written, with {host}, {userAgent} and {attribution} placeholders; empty for a banner wait.</summary>
    public string Template { get; }

    /// <summary>A TLS handshake rather than a payload.</summary>
    public bool Tls { get; }

    /// <summary>Sends nothing: waits for the service to speak first.</summary>
    public bool IsBannerWait => !Tls && Template.Length == 0;

    /// <summary>Ports where this probe is tried first (in plain TCP).</summary>
    public IReadOnlySet<int> Ports { get; }

    /// <summary>Ports where this probe is tried first inside TLS.</summary>
    public IReadOnlySet<int> TlsPorts { get; }

    /// <summary>Tried first inside TLS on a port that no probe lists in <see cref="TlsPorts"/>.</summary>
    public bool TlsDefault { get; }

    public bool ReadToEnd { get; }

    /// <summary>Races from the start on a port without a hint (the others join after a short grace).</summary>
    public bool Eager { get; }

    public int Order { get; }

    /// <summary>
    /// The bytes to send to <paramref name="host"/>. {attribution} becomes the whole <c>X-Scan-Attribution</c> header
    /// line, or nothing when the scan has no attribution text (docs/fingerprint.md, "Attribution").
    /// </summary>
    public byte[] Payload(string host, string userAgent, string? attribution) =>
        Encoding.Latin1.GetBytes(Template.Replace("{host}", host, StringComparison.Ordinal).Replace("{userAgent}", userAgent, StringComparison.Ordinal)
            .Replace("{attribution}", ScanAttribution.HeaderLine(attribution), StringComparison.Ordinal));

    internal static ServiceProbe From(string file, ProbeSpec spec)
    {
        if (string.IsNullOrWhiteSpace(spec.Id))
        {
            throw new FormatException($"{file}: a probe without an id.");
        }

        if (spec.Tls && spec.Send.Length > 0)
        {
            throw new FormatException($"{file}: probe '{spec.Id}' is a TLS handshake and cannot also send a payload.");
        }

        if (spec.Ports.Concat(spec.TlsPorts).FirstOrDefault(p => p is < 1 or > 65535) is var bad && bad != 0)
        {
            throw new FormatException($"{file}: probe '{spec.Id}' lists port {bad}.");
        }

        if (spec.Send.Any(c => c > 0xff))
        {
            throw new FormatException($"{file}: probe '{spec.Id}' sends a character above \\xff; write bytes.");
        }

        return new ServiceProbe(spec);
    }
}
