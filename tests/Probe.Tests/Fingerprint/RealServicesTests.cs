using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Testing;

namespace Outpost.Probe.Tests.Fingerprint;

/// <summary>
/// Real Debian daemons in a network namespace (<see cref="ServiceLab"/>), each on its usual port and an unusual one:
/// the fingerprint names service, product and the version the installed package reports; TLS facts equal what
/// openssl says about the certificates the lab made; closed and silent ports end within their timeouts.
/// </summary>
public sealed class RealServicesTests(ServiceLabFixture fixture) : IClassFixture<ServiceLabFixture>
{
    [Fact]
    public void Every_service_is_named_with_its_product_and_the_packaged_version()
    {
        var wrong = new List<string>();
        foreach (var expected in fixture.Lab.Services)
        {
            var found = fixture.Results.GetValueOrDefault(expected.Port);
            if (found is null || (found.Service, found.Product, found.Version) != (expected.Service, expected.Product, expected.Version))
            {
                wrong.Add($"{expected.Port}: expected {expected.Service}/{expected.Product}/{expected.Version}, got "
                    + (found is null ? "nothing" : FingerprintJson.Serialize(found)));
            }
        }

        Assert.Empty(wrong);
        Assert.Contains("cpe:/a:openbsd:openssh:" + ServiceLab.UpstreamVersion("openssh-server"), fixture.Results[22].Cpe);
    }

    [Fact]
    public void Tls_facts_equal_what_openssl_says_about_the_certificates()
    {
        foreach (var service in fixture.Lab.Services.Where(s => s.Certificate is not null))
        {
            var tls = fixture.Results[service.Port].Tls;
            Assert.True(tls is not null, $"port {service.Port} has no TLS facts");
            var openssl = ServiceLab.OpenSslFacts(service.Certificate!);
            Assert.Equal(Names(openssl["subject"]), Names(tls.Subject));
            Assert.Equal(Names(openssl["issuer"]), Names(tls.Issuer));
            Assert.Equal(OpenSslDate(openssl["notBefore"]), tls.NotBefore);
            Assert.Equal(OpenSslDate(openssl["notAfter"]), tls.NotAfter);
            Assert.Equal(openssl["sha256 Fingerprint"].Replace(":", "", StringComparison.Ordinal).ToLowerInvariant(), tls.Sha256);
            Assert.True(tls.SelfSigned);
            Assert.StartsWith("TLSv1.", tls.Version, StringComparison.Ordinal);
            Assert.StartsWith("TLS_", tls.Cipher, StringComparison.Ordinal);
        }

        var self = fixture.Results[443].Tls!;
        Assert.Equal(("RSA", 2048), (self.KeyType, self.KeyBits));
        Assert.Equal(["fp-self.test", fixture.Lab.Address], self.Sans);
        var expired = fixture.Results[18443].Tls!;
        Assert.Equal(("EC", 256), (expired.KeyType, expired.KeyBits));
        Assert.True(expired.NotAfter < DateTimeOffset.UtcNow, "the expired certificate is reported as expired");
        Assert.Empty(expired.Sans);
    }

    [Fact]
    public void Http_facts_give_status_title_server_and_redirect()
    {
        var nginx = "nginx/" + ServiceLab.UpstreamVersion("nginx");
        foreach (var service in fixture.Lab.Services.Where(s => s.Service is "http" or "https"))
        {
            var http = fixture.Results[service.Port].Http;
            Assert.True(http is not null, $"port {service.Port} has no HTTP facts");
            Assert.Equal(service.Location is null ? 200 : 301, http.Status);
            Assert.Equal(nginx, http.Server);
            Assert.Equal(service.Location, http.Location);
            if (service.Title is not null)
            {
                Assert.Equal(service.Title, http.Title);
            }
        }
    }

    [Fact]
    public void An_unknown_service_keeps_its_first_bytes_and_closed_and_silent_ports_say_so()
    {
        var unknown = fixture.Results[ServiceLab.BannerPort];
        Assert.Equal((ServiceNames.Unknown, "HELLO-XYZ 42\\r\\n"), (unknown.Service, unknown.Banner));
        Assert.Equal(ServiceNames.Closed, fixture.Results[ServiceLab.ClosedPort].Service);
        var silent = fixture.Results[ServiceLab.SilentPort];
        Assert.Equal((ServiceNames.Unknown, null), (silent.Service, silent.Banner));
        Assert.True(silent.IsOpen);
    }

    [Fact]
    public async Task A_closed_or_silent_port_ends_within_its_timeout()
    {
        var timeout = TimeSpan.FromSeconds(1);
        var options = ServiceLabFixture.Options with { ConnectTimeout = timeout, ReadTimeout = timeout };

        var clock = Stopwatch.StartNew();
        Assert.Equal(ServiceNames.Closed, Assert.Single(await fixture.FingerprintAsync([ServiceLab.ClosedPort], options)).Service);
        Assert.True(clock.Elapsed < timeout, $"a closed port took {clock.Elapsed}");

        // Silent: every probe waits out the timeout (a TLS handshake counts as connecting), at most after the grace
        // before the late probes join (docs/fingerprint.md). Two seconds of slack for a loaded machine.
        clock.Restart();
        Assert.Equal(ServiceNames.Unknown, Assert.Single(await fixture.FingerprintAsync([ServiceLab.SilentPort], options)).Service);
        Assert.InRange(clock.Elapsed, timeout, (2 * timeout) + TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task The_connection_rate_is_honoured()
    {
        // Six well-known ports, one connection each (their hinted probe decides them); at 10 connections a second
        // the bucket, which starts empty, needs at least 0.6 s.
        var clock = Stopwatch.StartNew();
        var results = await fixture.FingerprintAsync([21, 2121, 22, 2222, 6379, 11211], ServiceLabFixture.Options with { MaxProbesPerSecond = 10 });
        Assert.All(results, r => Assert.NotEqual(ServiceNames.Unknown, r.Service));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.5), $"six connections at 10/s took only {clock.Elapsed}");
    }

    [Fact]
    public void The_command_line_prints_one_json_line_per_service()
    {
        var (code, stdout, stderr) = ServiceLabFixture.RunProbe("fingerprint", fixture.Lab.Address, "-p", "22,443,7779", "--json", "--timeout", "2000");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(l => l.GetProperty("port").GetInt32());
        Assert.Equal([22, 443], lines.Keys.Order());
        Assert.Equal("ssh", lines[22].GetProperty("service").GetString());
        Assert.Equal("tcp", lines[22].GetProperty("proto").GetString());
        Assert.Equal("https", lines[443].GetProperty("service").GetString());
        Assert.Equal(200, lines[443].GetProperty("http").GetProperty("status").GetInt32());
        Assert.Equal(fixture.Results[443].Tls!.Sha256, lines[443].GetProperty("tls").GetProperty("sha256").GetString());
        Assert.Contains("open=2", stderr, StringComparison.Ordinal);

        var (usage, _, error) = ServiceLabFixture.RunProbe("fingerprint", "10.78.0.0/33", "-p", "22");
        Assert.Equal(2, usage);
        Assert.Contains("10.78.0.0/33", error, StringComparison.Ordinal);
    }

    // "CN = fp-self.test, O = Outpost Lab" (openssl) and "O=Outpost Lab, CN=fp-self.test" (.NET) name the same things.
    private static string[] Names(string distinguishedName) =>
        [.. distinguishedName.Split(',').Select(part => string.Join('=', part.Split('=').Select(s => s.Trim()))).Order(StringComparer.Ordinal)];

    private static DateTimeOffset OpenSslDate(string text) =>
        DateTimeOffset.ParseExact(string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries)), "MMM d HH:mm:ss yyyy 'GMT'",
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
