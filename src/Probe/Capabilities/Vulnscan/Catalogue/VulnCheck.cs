using System.Text.RegularExpressions;

namespace Outpost.Probe.Capabilities.Vulnscan.Catalogue;

/// <summary>
/// One check of the catalogue (docs/vulnscan.md), as loaded from its YAML file: which services it is about, what it
/// sends (nothing when the fingerprint's facts are enough), what the answer must show, and what it means for an admin.
/// </summary>
public sealed record VulnCheck
{
    public required string Id { get; init; }

    public required string Title { get; init; }

    /// <summary>One of <see cref="Severities.All"/>.</summary>
    public required string Severity { get; init; }

    /// <summary>Fingerprint service names the check is about; empty means any service.</summary>
    public IReadOnlyList<string> Services { get; init; } = [];

    /// <summary>True: only services that spoke TLS (the fingerprint has certificate facts); false: only those that did not; null: either.</summary>
    public bool? Tls { get; init; }

    /// <summary>What to send; null for a check over the fingerprint's facts alone (run on the appliance too).</summary>
    public CheckSend? Send { get; init; }

    /// <summary>Every matcher must hold for the check to fire.</summary>
    public required IReadOnlyList<CheckMatcher> Match { get; init; }

    public string? Remediation { get; init; }

    public IReadOnlyList<string> References { get; init; } = [];

    /// <summary>An observation the check must fire on, and one it must not (the catalogue's own test).</summary>
    public required Observation PositiveSample { get; init; }

    public required Observation NegativeSample { get; init; }

    /// <summary>The check opens a connection of its own (it runs on a scanner, never on the appliance).</summary>
    public bool NeedsNetwork => Send is not null;
}

/// <summary>What a network check sends: exactly one of a protocol exchange, an HTTP request or a TLS handshake.</summary>
public sealed record CheckSend
{
    /// <summary>A TCP exchange: optionally read the greeting, then send each step and read its reply.</summary>
    public TcpExchange? Tcp { get; init; }

    public HttpProbe? Http { get; init; }

    /// <summary>Handshake TLS and read the certificate afresh (its signature algorithm, which the fingerprint leaves out).</summary>
    public bool Handshake { get; init; }
}

/// <param name="Greeting">Read what the service says on connect before the first step (FTP, SSH, mail).</param>
/// <param name="Steps">Bytes to send, each followed by a read; the observation's <c>reply</c> is everything read.</param>
/// <param name="InsideTls">Run the exchange inside TLS (for services the fingerprint saw speak TLS at once).</param>
public sealed record TcpExchange(bool Greeting, IReadOnlyList<byte[]> Steps, bool InsideTls);

/// <summary>One HTTP request; the scheme is the service's (https where the fingerprint saw TLS).</summary>
public sealed record HttpProbe(string Method, string Path);

/// <summary>
/// One condition over a field of the observation (docs/vulnscan.md lists the fields). Exactly one test is set:
/// a regular expression that must match (or must not), a value it must equal, a bound, or presence.
/// </summary>
public sealed record CheckMatcher
{
    public required string Field { get; init; }

    public Regex? Regex { get; init; }

    public Regex? NotRegex { get; init; }

    public string? EqualsValue { get; init; }

    public double? Below { get; init; }

    public double? AtLeast { get; init; }

    /// <summary>True: the field must be there (any value); false: it must be missing.</summary>
    public bool? Present { get; init; }
}

/// <summary>The severities, lowest first, as the catalogue, the wire and the appliance spell them.</summary>
public static class Severities
{
    public static IReadOnlyList<string> All { get; } = ["info", "low", "medium", "high", "critical"];
}
