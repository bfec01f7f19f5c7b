using System.Text.Json.Serialization;

namespace Outpost.Probe.Capabilities.Fingerprint;

/// <summary>
/// What answers on one TCP port: the service, and where the rules could tell, its product, version and CPE names;
/// TLS and HTTP facts when the service speaks them. Serialised as one JSON line by <see cref="FingerprintJson"/>
/// (the shape is documented in docs/fingerprint.md).
/// </summary>
public sealed record ServiceFingerprint
{
    /// <summary>The address, as text (dotted quad for IPv4).</summary>
    public required string Ip { get; init; }

    public required int Port { get; init; }

    /// <summary>Always "tcp": the fingerprinter connects with TCP sockets.</summary>
    public string Proto { get; init; } = "tcp";

    /// <summary>
    /// IANA-style lower-case service name ("ssh", "http", "https", "smtp", "redis", …); "unknown" when the port
    /// answered but no rule matched, "tls" when TLS was spoken but what ran inside it was not identified, "tcpwrapped" when it accepted and closed without a word, "closed" or "filtered"
    /// when the connection was refused or timed out.
    /// </summary>
    public required string Service { get; init; }

    public string? Product { get; init; }

    public string? Version { get; init; }

    /// <summary>CPE 2.2 URIs the matching rule implies (empty when it implies none; left out of the JSON then).</summary>
    public IReadOnlyList<string> Cpe { get; init; } = [];

    /// <summary>The first bytes an unidentified service sent, non-printable bytes escaped as \xNN.</summary>
    public string? Banner { get; init; }

    public TlsFacts? Tls { get; init; }

    public HttpFacts? Http { get; init; }

    /// <summary>True when the port accepted a connection (open), whether or not the service was identified.</summary>
    [JsonIgnore]
    public bool IsOpen => Service is not (ServiceNames.Closed or ServiceNames.Filtered);
}

/// <summary>The TLS session and the server certificate as the handshake showed them (inspected, never trusted).</summary>
public sealed record TlsFacts
{
    /// <summary>Negotiated protocol, e.g. "TLSv1.3".</summary>
    public required string Version { get; init; }

    /// <summary>Negotiated cipher suite by its IANA name, e.g. "TLS_AES_256_GCM_SHA384".</summary>
    public required string Cipher { get; init; }

    /// <summary>Subject distinguished name, RFC 2253 order ("CN=host,O=Org").</summary>
    public required string Subject { get; init; }

    /// <summary>Issuer distinguished name, RFC 2253 order.</summary>
    public required string Issuer { get; init; }

    /// <summary>Subject alternative names: DNS names and IP addresses.</summary>
    public IReadOnlyList<string> Sans { get; init; } = [];

    public required DateTimeOffset NotBefore { get; init; }

    public required DateTimeOffset NotAfter { get; init; }

    /// <summary>Subject equals issuer and the certificate's signature verifies with its own key.</summary>
    public required bool SelfSigned { get; init; }

    /// <summary>"RSA", "EC", "DSA", "Ed25519", … (the public key's algorithm).</summary>
    public required string KeyType { get; init; }

    public required int KeyBits { get; init; }

    /// <summary>SHA-256 of the DER certificate, lower-case hex without separators.</summary>
    public required string Sha256 { get; init; }
}

/// <summary>The first HTTP response to a GET of "/".</summary>
public sealed record HttpFacts
{
    public required int Status { get; init; }

    /// <summary>Text of the first &lt;title&gt; element, whitespace collapsed.</summary>
    public string? Title { get; init; }

    /// <summary>The Server header.</summary>
    public string? Server { get; init; }

    /// <summary>The Location header of a redirect.</summary>
    public string? Location { get; init; }
}

/// <summary>Service names the engine itself assigns (rules assign the others).</summary>
public static class ServiceNames
{
    public const string Unknown = "unknown";

    /// <summary>TLS was spoken, but nothing the rules know ran inside it.</summary>
    public const string Tls = "tls";
    public const string TcpWrapped = "tcpwrapped";
    public const string Closed = "closed";
    public const string Filtered = "filtered";
}
