using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Outpost.Probe.Capabilities.Fingerprint;

/// <summary>
/// TLS client side for inspection: accepts any certificate (a scanner reports certificates, it does not trust them)
/// and turns the session and the server certificate into <see cref="TlsFacts"/>.
/// </summary>
internal static class TlsInspector
{
    public static SslClientAuthenticationOptions ClientOptions(string host) => new()
    {
        // An IP address is not a valid SNI name; .NET leaves SNI out for one.
        TargetHost = host,
#pragma warning disable CA5359 // deliberately: the certificate is what is being inspected, whoever issued it.
        RemoteCertificateValidationCallback = static (_, _, _, _) => true,
#pragma warning restore CA5359
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    public static TlsFacts Facts(SslStream tls)
    {
        using var certificate = tls.RemoteCertificate is { } remote
            ? new X509Certificate2(remote)
            : throw new AuthenticationException("The server sent no certificate.");
        var (keyType, keyBits) = Key(certificate);
        return new TlsFacts
        {
            Version = ProtocolName(tls.SslProtocol),
            Cipher = tls.NegotiatedCipherSuite.ToString(),
            Subject = certificate.SubjectName.Name,
            Issuer = certificate.IssuerName.Name,
            Sans = Sans(certificate),
            NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            SelfSigned = IsSelfSigned(certificate),
            KeyType = keyType,
            KeyBits = keyBits,
            Sha256 = certificate.GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant(),
        };
    }

#pragma warning disable SYSLIB0039, CA5397 // old protocol versions are named, not enabled: servers still run them.
    private static string ProtocolName(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        SslProtocols.Tls11 => "TLSv1.1",
        SslProtocols.Tls => "TLSv1",
        _ => protocol.ToString(),
    };
#pragma warning restore SYSLIB0039, CA5397

    private static List<string> Sans(X509Certificate2 certificate)
    {
        var sans = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension names)
            {
                sans.AddRange(names.EnumerateDnsNames());
                sans.AddRange(names.EnumerateIPAddresses().Select(a => a.ToString()));
            }
        }

        return sans;
    }

    private static (string Type, int Bits) Key(X509Certificate2 certificate)
    {
        using (var rsa = certificate.GetRSAPublicKey())
        {
            if (rsa is not null)
            {
                return ("RSA", rsa.KeySize);
            }
        }

        using (var ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                return ("EC", ec.KeySize);
            }
        }

        // Keys .NET has no class for are named by OID; the Edwards curves have fixed sizes (RFC 8410).
        return certificate.PublicKey.Oid.Value switch
        {
            "1.3.101.112" => ("Ed25519", 256),
            "1.3.101.113" => ("Ed448", 456),
            var oid => (certificate.PublicKey.Oid.FriendlyName ?? oid ?? "unknown", certificate.PublicKey.EncodedKeyValue.RawData.Length * 8),
        };
    }

    // Self-signed: issued by its own subject, and its own public key verifies its signature. A chain built with the
    // certificate as its only trust anchor checks the signature; time validity is beside the point here.
    private static bool IsSelfSigned(X509Certificate2 certificate)
    {
        if (!certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreWrongUsage
            | X509VerificationFlags.IgnoreInvalidBasicConstraints | X509VerificationFlags.IgnoreInvalidPolicy;
        chain.Build(certificate);
        return chain.ChainElements.Count == 1
            && chain.ChainStatus.All(s => (s.Status & (X509ChainStatusFlags.NotSignatureValid | X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) == 0);
    }
}
