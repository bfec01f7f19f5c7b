using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Outpost.Appliance.Hosting;

/// <summary>
/// The HTTPS certificate. An installed appliance has no name anyone issued a certificate for, so on first start it
/// makes a self-signed one (ECDSA P-256, ten years) into the data directory and logs its SHA-256 fingerprint, which
/// admins and scanner nodes pin. Admins who have a real certificate point <see cref="TlsOptions"/> at its PEM files.
/// </summary>
public static partial class TlsCertificate
{
    public const string CertificateFile = "tls/outpost.crt";
    public const string KeyFile = "tls/outpost.key";

    public static X509Certificate2 LoadOrCreate(OutpostOptions options, ILogger logger)
    {
        X509Certificate2 certificate;
        if (options.Tls.CertificatePath is { Length: > 0 } certPath)
        {
            var keyPath = options.Tls.KeyPath is { Length: > 0 } k ? k : certPath;
            certificate = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            LogLoaded(logger, certPath);
        }
        else
        {
            var certPathInData = Path.Combine(options.DataDirectory, CertificateFile);
            var keyPathInData = Path.Combine(options.DataDirectory, KeyFile);
            if (!File.Exists(certPathInData) || !File.Exists(keyPathInData))
            {
                Generate(certPathInData, keyPathInData);
                LogGenerated(logger, certPathInData);
            }

            certificate = X509Certificate2.CreateFromPemFile(certPathInData, keyPathInData);
        }

        var fingerprint = Fingerprint(certificate);
        LogFingerprint(logger, certificate.Subject, fingerprint);
        return certificate;
    }

    /// <summary>SHA-256 of the DER certificate as colon-separated hex, the form browsers and <c>openssl x509 -fingerprint</c> show.</summary>
    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)).Chunk(2).Select(c => new string(c)));

    private static void Generate(string certPath, string keyPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(certPath)!);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var host = Dns.GetHostName();
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        Secrets.WriteOwnerOnly(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificate loaded from {Path}")]
    private static partial void LogLoaded(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Generated a self-signed TLS certificate into {Path}")]
    private static partial void LogGenerated(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "TLS certificate {Subject}, SHA-256 fingerprint {Fingerprint}")]
    private static partial void LogFingerprint(ILogger logger, string subject, string fingerprint);
}
