using System.Formats.Asn1;
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
        try
        {
            return KnownKey(certificate);
        }
        catch (CryptographicException)
        {
            // A key this platform cannot load (an unusual curve, a malformed key): named by its OID, size unknown.
            return (certificate.PublicKey.Oid.Value ?? "unknown", 0);
        }
    }

    private static (string Type, int Bits) KnownKey(X509Certificate2 certificate)
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

    // Self-signed: issued by its own subject, and its own public key verifies its signature. A name alone is not
    // enough (anyone can name themselves as issuer), and chain building does not settle it: OpenSSL treats a
    // certificate whose subject equals its issuer as a root and does not check a root's signature. So the signature
    // over the to-be-signed part is checked with the certificate's own key, for the RSA and ECDSA algorithms servers
    // use; any other algorithm is not claimed as self-signed.
    internal static bool IsSelfSigned(X509Certificate2 certificate)
    {
        if (!certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData))
        {
            return false;
        }

        try
        {
            var reader = new AsnReader(certificate.RawData, AsnEncodingRules.DER).ReadSequence();
            var signed = reader.ReadEncodedValue();
            var algorithm = reader.ReadSequence().ReadObjectIdentifier();
            var signature = reader.ReadBitString(out _);
            return algorithm switch
            {
                "1.2.840.113549.1.1.5" => VerifyRsa(certificate, signed, signature, HashAlgorithmName.SHA1),
                "1.2.840.113549.1.1.11" => VerifyRsa(certificate, signed, signature, HashAlgorithmName.SHA256),
                "1.2.840.113549.1.1.12" => VerifyRsa(certificate, signed, signature, HashAlgorithmName.SHA384),
                "1.2.840.113549.1.1.13" => VerifyRsa(certificate, signed, signature, HashAlgorithmName.SHA512),
                "1.2.840.10045.4.3.2" => VerifyEcdsa(certificate, signed, signature, HashAlgorithmName.SHA256),
                "1.2.840.10045.4.3.3" => VerifyEcdsa(certificate, signed, signature, HashAlgorithmName.SHA384),
                "1.2.840.10045.4.3.4" => VerifyEcdsa(certificate, signed, signature, HashAlgorithmName.SHA512),
                _ => false,
            };
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            return false;
        }
    }

    private static bool VerifyRsa(X509Certificate2 certificate, ReadOnlyMemory<byte> signed, byte[] signature, HashAlgorithmName hash)
    {
        using var key = certificate.GetRSAPublicKey();
        return key is not null && key.VerifyData(signed.Span, signature, hash, RSASignaturePadding.Pkcs1);
    }

    private static bool VerifyEcdsa(X509Certificate2 certificate, ReadOnlyMemory<byte> signed, byte[] signature, HashAlgorithmName hash)
    {
        using var key = certificate.GetECDsaPublicKey();
        return key is not null && key.VerifyData(signed.Span, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
    }
}
