using System.Text.Json;
using Outpost.Probe.Capabilities.Fingerprint;

namespace Outpost.Probe.Tests.Fingerprint;

/// <summary>The JSON line of a fingerprint (docs/fingerprint.md) and the text helpers behind it.</summary>
public sealed class FingerprintShapeTests
{
    [Fact]
    public void The_json_line_has_the_documented_names_in_order_and_leaves_out_what_is_unknown()
    {
        var line = FingerprintJson.Serialize(new ServiceFingerprint
        {
            Ip = "10.0.0.5",
            Port = 443,
            Service = "https",
            Product = "nginx",
            Version = "1.22.1",
            Cpe = ["cpe:/a:f5:nginx:1.22.1"],
            Tls = new TlsFacts
            {
                Version = "TLSv1.3", Cipher = "TLS_AES_256_GCM_SHA384", Subject = "CN=a", Issuer = "CN=a", Sans = ["a.test"],
                NotBefore = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), NotAfter = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero),
                SelfSigned = true, KeyType = "RSA", KeyBits = 2048, Sha256 = "ab",
            },
            Http = new HttpFacts { Status = 200, Title = "Hi" },
        });

        Assert.DoesNotContain('\n', line);
        using var json = JsonDocument.Parse(line);
        Assert.Equal(["ip", "port", "proto", "service", "product", "version", "cpe", "tls", "http"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["version", "cipher", "subject", "issuer", "sans", "notBefore", "notAfter", "selfSigned", "keyType", "keyBits", "sha256"],
            json.RootElement.GetProperty("tls").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["status", "title"], json.RootElement.GetProperty("http").EnumerateObject().Select(p => p.Name));
        Assert.Equal("tcp", json.RootElement.GetProperty("proto").GetString());
        Assert.Equal("2027-01-01T00:00:00+00:00", json.RootElement.GetProperty("tls").GetProperty("notAfter").GetString());

        var bare = FingerprintJson.Serialize(new ServiceFingerprint { Ip = "10.0.0.5", Port = 7, Service = "unknown", Banner = "hi\\r\\n" });
        Assert.Equal("""{"ip":"10.0.0.5","port":7,"proto":"tcp","service":"unknown","banner":"hi\\r\\n"}""", bare);
        Assert.Equal(7, FingerprintJson.Deserialize(bare)!.Port);
    }
}
