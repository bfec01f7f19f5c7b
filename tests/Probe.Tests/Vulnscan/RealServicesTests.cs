using System.Net;
using Outpost.Probe.Capabilities;
using Outpost.Probe.Capabilities.Fingerprint;
using Outpost.Probe.Capabilities.Vulnscan;
using Outpost.Probe.Capabilities.Vulnscan.Catalogue;
using Outpost.Probe.Tests.Fingerprint;
using Xunit.Abstractions;

namespace Outpost.Probe.Tests.Vulnscan;

/// <summary>
/// The catalogue against real daemons in a namespace (<see cref="VulnLab"/>): every check fires exactly where the
/// lab is misconfigured for it and nowhere else, and the correctly configured twins raise nothing. One run of the
/// capability for the class; the tests read it.
/// </summary>
public sealed class RealServicesTests(VulnLabFixture fixture, ITestOutputHelper output) : IClassFixture<VulnLabFixture>
{
    [Fact]
    public void Each_port_raises_exactly_what_the_lab_misconfigured()
    {
        foreach (var line in fixture.Results.Values.SelectMany(r => r.Found.Select(f => $"{r.Port} {f.CheckId} | {f.Evidence.Replace('\n', ' ')}")))
        {
            output.WriteLine(line);
        }

        output.WriteLine($"seconds for the host: {fixture.Seconds:0.0}");
        foreach (var (port, expected) in VulnLab.Expected)
        {
            Assert.True(fixture.Results.TryGetValue(port, out var result), $"port {port} was not checked");
            Assert.Equal(expected, result.Found.Select(f => f.CheckId).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void The_twins_were_checked_for_what_their_siblings_raise()
    {
        // "Nothing raised" counts only when the check ran: each twin reached a verdict on its sibling's checks. Not
        // memcached with authentication: it answers every unauthenticated command with an error, so the fingerprint
        // cannot tell it is memcached and no memcached check concerns it (it raises nothing either way).
        (int Twin, int Sibling)[] pairs = [(2121, 21), (22, 2222), (8080, 80), (9443, 443), (9443, 8443), (16379, 6379)];
        foreach (var (twin, sibling) in pairs)
        {
            var raised = VulnLab.Expected[sibling].Where(id => twin != 2121 || id != "cleartext-ftp");
            Assert.All(raised, id => Assert.True(fixture.Results[twin].CheckIds.Contains(id), $"{id} did not run on the twin {twin}"));
        }
    }

    [Fact]
    public void Findings_carry_the_catalogue_words_and_evidence()
    {
        var redis = Assert.Single(fixture.Results[6379].Found);
        var check = CheckCatalogue.BuiltIn.Find("redis-no-auth")!;
        Assert.Equal((check.Title, check.Severity, check.Remediation), (redis.Title, redis.Severity, redis.Remediation));
        Assert.StartsWith("reply: redis_version:", redis.Evidence, StringComparison.Ordinal);
        var anonymous = fixture.Results[21].Found.Single(f => f.CheckId == "ftp-anonymous-login");
        Assert.StartsWith("reply: 230", anonymous.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_request_names_the_scanner()
    {
        var lines = File.ReadAllLines(fixture.Lab.AccessLog);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Equal($"\"{ScanAttribution.UserAgent(VulnLab.Attribution)}\" \"{VulnLab.Attribution}\"", l));
    }

    [Fact]
    public void The_command_line_prints_the_same_findings_as_json()
    {
        var (code, stdout, stderr) = ServiceLabFixture.RunProbe("vulnscan", fixture.Lab.Address, "-p", "21,6379,16379", "--json", "--timeout", "2000");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["21 cleartext-ftp", "21 ftp-anonymous-login", "6379 redis-no-auth"],
            lines.Select(l => $"{l.GetProperty("port").GetInt32()} {l.GetProperty("checkId").GetString()}").Order(StringComparer.Ordinal));
        Assert.Contains("findings=3", stderr, StringComparison.Ordinal);
    }
}

/// <summary>One lab and one capability run over all its ports for the class.</summary>
public sealed class VulnLabFixture : IAsyncLifetime
{
    private VulnLab? _lab;

    public VulnLab Lab => _lab ?? throw new InvalidOperationException("The lab did not start.");

    public IReadOnlyDictionary<int, ServiceVulnerabilities> Results { get; private set; } = new Dictionary<int, ServiceVulnerabilities>();

    /// <summary>Wall time of the run over the lab's one host (the report's "time per host").</summary>
    public double Seconds { get; private set; }

    public async Task InitializeAsync()
    {
        _lab = await VulnLab.StartAsync();
        var options = new FingerprintOptions
        {
            ConnectTimeout = TimeSpan.FromSeconds(2),
            ReadTimeout = TimeSpan.FromSeconds(2),
            MaxConnectionsPerHost = 8,
            UserAgent = ScanAttribution.UserAgent(VulnLab.Attribution),
            Attribution = VulnLab.Attribution,
        };
        var address = IPAddress.Parse(Lab.Address);
        var results = new Dictionary<int, ServiceVulnerabilities>();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var started = TimeProvider.System.GetTimestamp();
        await foreach (var result in VulnscanCapability.CheckAsync([.. VulnLab.Expected.Keys.Select(p => (address, p))], options, CheckCatalogue.BuiltIn, _ => { },
            limit.Token))
        {
            results.Add(result.Port, result);
        }

        Seconds = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
        Results = results;
    }

    public async Task DisposeAsync()
    {
        if (_lab is not null)
        {
            await _lab.DisposeAsync();
        }
    }
}
