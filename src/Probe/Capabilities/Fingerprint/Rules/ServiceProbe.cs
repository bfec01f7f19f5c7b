using System.Collections.Frozen;
using System.Text;

namespace Outpost.Probe.Capabilities.Fingerprint.Rules;

/// <summary>One probe: bytes to send (or nothing: wait for a banner), or a TLS handshake; the ports it is tried first on.</summary>
public sealed class ServiceProbe
{
    private ServiceProbe(string id, string send, bool tls, FrozenSet<int> ports, bool readToEnd, int order)
    {
        Id = id;
        Template = send;
        Tls = tls;
        Ports = ports;
        ReadToEnd = readToEnd;
        Order = order;
    }

    public string Id { get; }

    /// <summary>The payload as written, with {host} and {userAgent} placeholders; empty for a banner wait.</summary>
    public string Template { get; }

    /// <summary>A TLS handshake rather than a payload.</summary>
    public bool Tls { get; }

    /// <summary>Sends nothing: waits for the service to speak first.</summary>
    public bool IsBannerWait => !Tls && Template.Length == 0;

    public FrozenSet<int> Ports { get; }

    public bool ReadToEnd { get; }

    public int Order { get; }

    /// <summary>The bytes to send to <paramref name="host"/>.</summary>
    public byte[] Payload(string host, string userAgent) =>
        Encoding.Latin1.GetBytes(Template.Replace("{host}", host, StringComparison.Ordinal).Replace("{userAgent}", userAgent, StringComparison.Ordinal));

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

        if (spec.Ports.FirstOrDefault(p => p is < 1 or > 65535) is var bad && bad != 0)
        {
            throw new FormatException($"{file}: probe '{spec.Id}' lists port {bad}.");
        }

        if (spec.Send.Any(c => c > 0xff))
        {
            throw new FormatException($"{file}: probe '{spec.Id}' sends a character above \\xff; write bytes.");
        }

        return new ServiceProbe(spec.Id, spec.Send, spec.Tls, spec.Ports.ToFrozenSet(), spec.ReadToEnd, spec.Order);
    }
}
