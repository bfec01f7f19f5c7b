using System.Globalization;
using Outpost.Probe.Capabilities.Fingerprint;

namespace Outpost.Probe.Capabilities.Vulnscan.Catalogue;

/// <summary>
/// What a check reads about one service: the fingerprint's facts, and for a network check what its own exchange
/// brought back. The matchers address it by field name (<see cref="Field"/>).
/// </summary>
public sealed record Observation
{
    private const string HeaderPrefix = "header.";

    public required string Ip { get; init; }

    public required int Port { get; init; }

    /// <summary>The fingerprint's service name ("ftp", "https", …).</summary>
    public required string Service { get; init; }

    /// <summary>The fingerprint's product, when it named one.</summary>
    public string? Product { get; init; }

    /// <summary>What the service said first, as the fingerprint kept it.</summary>
    public string? Banner { get; init; }

    public TlsFacts? Tls { get; init; }

    /// <summary>The fingerprint's HTTP facts (the answer to GET /): title, server, status.</summary>
    public HttpFacts? Http { get; init; }

    /// <summary>The certificate's signature algorithm ("sha256RSA", "sha1RSA", …), from the check's own handshake.</summary>
    public string? Signature { get; init; }

    /// <summary>Everything a TCP exchange read, bytes as Latin-1 characters.</summary>
    public string? Reply { get; init; }

    public int? Status { get; init; }

    /// <summary>Response headers by lower-case name (values of a repeated header joined with ", ").</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public string? Body { get; init; }

    /// <summary>The value of a matcher field as text, or null when the observation does not have it.</summary>
    public string? Field(string name, DateTimeOffset now) => name switch
    {
        "service" => Service,
        "product" => Product,
        "port" => Port.ToString(CultureInfo.InvariantCulture),
        "banner" => Banner,
        "reply" => Reply,
        "status" => Status?.ToString(CultureInfo.InvariantCulture),
        "body" => Body,
        "http.status" => Http?.Status.ToString(CultureInfo.InvariantCulture),
        "http.title" => Http?.Title,
        "http.server" => Http?.Server,
        "tls.version" => Tls?.Version,
        "tls.subject" => Tls?.Subject,
        "tls.issuer" => Tls?.Issuer,
        "tls.selfSigned" => Tls is null ? null : Tls.SelfSigned ? "true" : "false",
        "tls.keyType" => Tls?.KeyType,
        "tls.keyBits" => Tls?.KeyBits.ToString(CultureInfo.InvariantCulture),
        "tls.signature" => Signature,
        "tls.daysLeft" => Tls is null ? null : Math.Floor((Tls.NotAfter - now).TotalDays).ToString(CultureInfo.InvariantCulture),
        "tls.daysUntilValid" => Tls is null ? null : Math.Ceiling((Tls.NotBefore - now).TotalDays).ToString(CultureInfo.InvariantCulture),
        "tls.namesAddress" => Tls is null ? null : NamesAddress(Tls, Ip) ? "true" : "false",
        _ when name.StartsWith(HeaderPrefix, StringComparison.Ordinal) => Headers?.GetValueOrDefault(name[HeaderPrefix.Length..]),
        _ => null,
    };

    /// <summary>Field names a matcher may use (<c>header.NAME</c> for any response header).</summary>
    public static bool IsField(string name) => name is "service" or "product" or "port" or "banner" or "reply" or "status" or "body"
        or "http.status" or "http.title" or "http.server"
        or "tls.version" or "tls.subject" or "tls.issuer" or "tls.selfSigned" or "tls.keyType" or "tls.keyBits" or "tls.signature" or "tls.daysLeft"
        or "tls.daysUntilValid" or "tls.namesAddress"
        || (name.StartsWith(HeaderPrefix, StringComparison.Ordinal) && name.Length > HeaderPrefix.Length && !name.Any(char.IsUpper));

    // A scan knows the address, not the name a client would use: the certificate matches when a SAN (or, lacking
    // SANs, the subject's CN) is that address. Wildcards cannot match an address (RFC 6125 §6.4.3).
    private static bool NamesAddress(TlsFacts tls, string ip)
    {
        if (tls.Sans.Count > 0)
        {
            return tls.Sans.Contains(ip, StringComparer.OrdinalIgnoreCase);
        }

        foreach (var part in tls.Subject.Split(','))
        {
            if (part.Trim() is var rdn && rdn.StartsWith("CN=", StringComparison.Ordinal) && string.Equals(rdn[3..], ip, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
