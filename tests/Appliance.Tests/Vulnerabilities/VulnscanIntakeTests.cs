using System.Text.Json;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Probe.Capabilities.Vulnscan.Catalogue;
using Outpost.Store.Records.Vulnerabilities;

namespace Outpost.Appliance.Tests.Vulnerabilities;

/// <summary>
/// The vulnscan capability's side of the appliance (docs/vulnscan.md) on the real daemon: a scanner's upload opens what
/// fired and fixes what ran clean; bad uploads are refused and change nothing; the checks that need no network run
/// over a fingerprint scan's services when the scan is processed.
/// </summary>
public sealed class VulnscanIntakeTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;

    [Fact]
    public async Task An_upload_opens_what_fired_and_a_later_run_fixes_what_it_checked_and_did_not_see()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        await HeartbeatAsync(api, key);
        var first = await ClaimVulnscanJobAsync(api, id, key);
        var redis = Service(6379, ["redis-no-auth"], Finding("redis-no-auth", "critical"));
        var ftp = Service(21, ["ftp-anonymous-login", "cleartext-ftp"]);
        Assert.Equal(2, (await api.ScannerAsync(key, Post, $"/scanner/jobs/{first}/results", new { vulnerabilities = new[] { redis, ftp } })).AssertOk().Json
            .GetProperty("accepted").GetInt32());

        var open = Assert.Single(Rows(await api.AdminAsync(Get, "/api/vulnerabilities")));
        Assert.Equal(("redis-no-auth", "10.85.1.2", 6379, "open", "critical", "reply: redis_version:7.0.15"),
            (open.GetProperty("checkId").GetString(), open.GetProperty("ip").GetString(), open.GetProperty("port").GetInt32(), open.GetProperty("status").GetString(),
                open.GetProperty("severity").GetString(), open.GetProperty("evidence").GetString()));

        var second = await ClaimVulnscanJobAsync(api, id, key);
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{second}/results", new { vulnerabilities = new[] { Service(6379, ["redis-no-auth"]) } })).AssertOk();
        Assert.Equal("fixed", Assert.Single(Rows(await api.AdminAsync(Get, "/api/vulnerabilities"))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Bad_uploads_are_refused_and_record_nothing()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        var (_, otherKey) = await api.CreateScannerAsync("s2");
        await HeartbeatAsync(api, key);
        var job = await ClaimVulnscanJobAsync(api, id, key);
        object[] bad =
        [
            new { vulnerabilities = new[] { Service(6379, ["ftp-anonymous-login"], Finding("redis-no-auth", "critical")) } },
            new { vulnerabilities = new[] { Service(6379, ["redis-no-auth"], Finding("redis-no-auth", "urgent")) } },
            new { vulnerabilities = new[] { Service(6379, ["Redis No Auth"]) } },
            new { vulnerabilities = new[] { Service(0, ["redis-no-auth"]) } },
            new { vulnerabilities = new[] { Service(6379, ["redis-no-auth"]) }, services = Array.Empty<object>() },
        ];
        foreach (var body in bad)
        {
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{job}/results", body)).AssertError(400, "BAD_REQUEST");
        }

        var good = new { vulnerabilities = new[] { Service(6379, ["redis-no-auth"], Finding("redis-no-auth", "critical")) } };
        (await api.ScannerAsync(otherKey, Post, $"/scanner/jobs/{job}/results", good)).AssertError(403, "JOB_NOT_OWNED");
        (await api.ScannerAsync(key, Post, "/scanner/jobs/4242/results", good)).AssertError(404, "NOT_FOUND");
        Assert.Empty(Rows(await api.AdminAsync(Get, "/api/vulnerabilities")));
    }

    [Fact]
    public async Task Checks_that_need_no_network_run_over_a_fingerprint_scan_when_it_is_processed()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (id, key) = await api.CreateScannerAsync("s1");
        await HeartbeatAsync(api, key);
        var scanId = (await api.AdminAsync(Post, "/api/scans",
                new { name = "fp", targets = new[] { "10.85.1.3" }, ports = "23,443", scannerIds = new[] { id }, capability = "fingerprint" }))
            .AssertOk(201).Json.GetProperty("id").GetInt64();
        var job = Api.JobIds(await api.ClaimAsync(key))[0];
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{job}/start")).AssertOk();
        var https = new
        {
            ip = "10.85.1.3", port = 443, proto = "tcp", service = "https", product = "nginx",
            tls = new
            {
                version = "TLSv1.3", cipher = "TLS_AES_256_GCM_SHA384", subject = "CN=lab.example", issuer = "CN=lab.example", sans = new[] { "lab.example" },
                notBefore = "2019-01-01T00:00:00+00:00", notAfter = "2020-01-01T00:00:00+00:00", selfSigned = true, keyType = "RSA", keyBits = 2048,
                sha256 = new string('a', 64),
            },
            http = new { status = 200, title = "Welcome to nginx!", server = "nginx/1.22.1" },
        };
        var telnet = new { ip = "10.85.1.3", port = 23, proto = "tcp", service = "telnet" };
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{job}/results", new { services = new object[] { https, telnet } })).AssertOk();
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{job}/complete", new { status = "completed", resultCount = 2 })).AssertOk();

        await daemon.Service<InventoryProcessor>().ProcessPendingAsync();

        var rows = Rows(await api.AdminAsync(Get, "/api/vulnerabilities"));
        Assert.Equal(["23 cleartext-telnet", "443 http-default-nginx-page", "443 tls-certificate-expired", "443 tls-certificate-self-signed", "443 tls-certificate-wrong-name"],
            rows.Select(r => $"{r.GetProperty("port").GetInt32()} {r.GetProperty("checkId").GetString()}").Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal("open", r.GetProperty("status").GetString()));
        Assert.NotEqual(0, scanId);
    }

    [Fact]
    public void The_catalogue_and_the_ledger_name_the_same_severities()
    {
        // One rule, two places (the scanner cannot reference the store): src/Probe/Capabilities/Vulnscan/Catalogue/VulnCheck.cs
        // (Severities) and src/Store/Records/Vulnerabilities/VulnerabilitySeverity.cs.
        Assert.Equal(VulnerabilitySeverity.All, Severities.All);
    }

    private static object Service(int port, string[] checkIds, params object[] found) => new { ip = "10.85.1.2", port, checkIds, found };

    private static object Finding(string checkId, string severity) => new
    {
        checkId, title = "Redis accepts commands without authentication", severity, evidence = "reply: redis_version:7.0.15",
        remediation = "Require a password.", references = new[] { "https://redis.io/docs/latest/operate/oss_and_stack/management/security/" },
    };

    private static async Task HeartbeatAsync(Api api, string key) =>
        (await api.ScannerAsync(key, Post, "/scanner/heartbeat", new
        {
            version = "9.9.9", runningJobs = Array.Empty<long>(), capabilities = new[] { "fingerprint", "vulnscan" },
            capabilityVersions = new Dictionary<string, string> { ["fingerprint"] = "9.9.9", ["vulnscan"] = "9.9.9" },
        })).AssertOk();

    private static async Task<long> ClaimVulnscanJobAsync(Api api, long scannerId, string key)
    {
        (await api.AdminAsync(Post, "/api/scans",
            new { name = "vs", targets = new[] { "10.85.1.2" }, ports = "21,6379", scannerIds = new[] { scannerId }, capability = "vulnscan" })).AssertOk(201);
        var job = Api.JobIds(await api.ClaimAsync(key))[0];
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{job}/start")).AssertOk();
        return job;
    }

    private static List<JsonElement> Rows(Reply reply) => [.. reply.AssertOk().Json.GetProperty("vulnerabilities").EnumerateArray()];
}
