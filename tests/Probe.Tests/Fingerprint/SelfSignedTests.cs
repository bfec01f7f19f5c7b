using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Outpost.Probe.Capabilities.Fingerprint;

namespace Outpost.Probe.Tests.Fingerprint;

/// <summary>"Self-signed" means issued by its own subject and verified by its own key, not merely subject == issuer.</summary>
public sealed class SelfSignedTests
{
    private static readonly DateTimeOffset From = DateTimeOffset.UtcNow.AddDays(-2);
    private static readonly DateTimeOffset Until = DateTimeOffset.UtcNow.AddDays(-1);

    [Fact]
    public void A_certificate_signed_by_its_own_key_is_self_signed_even_when_expired()
    {
        using var key = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=self.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(From, Until);
        Assert.True(TlsInspector.IsSelfSigned(certificate));
    }

    [Fact]
    public void A_certificate_issued_by_a_ca_is_not()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Lab CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = caRequest.CreateSelfSigned(From, Until.AddYears(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leaf = new CertificateRequest("CN=leaf.test", leafKey, HashAlgorithmName.SHA256).Create(ca, From, Until, [1, 2, 3]);
        Assert.False(TlsInspector.IsSelfSigned(leaf));
    }

    [Fact]
    public void Naming_itself_as_issuer_is_not_enough_when_another_key_signed_it()
    {
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var impostorRequest = new CertificateRequest("CN=same.test", otherKey, HashAlgorithmName.SHA256);
        impostorRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var impostor = impostorRequest.CreateSelfSigned(From, Until.AddYears(1));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=same.test", key, HashAlgorithmName.SHA256).Create(impostor, From, Until, [4, 5, 6]);
        Assert.Equal(certificate.Subject, certificate.Issuer);
        Assert.False(TlsInspector.IsSelfSigned(certificate));
    }
}
