using System.Text.Json;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.EndToEnd.Tests.Infrastructure;

namespace Outpost.EndToEnd.Tests.Assets;

/// <summary>
/// Follow-up jobs end to end (docs/assets-page.md, "Follow-up jobs"): the built-in scanner port-scans a namespace with
/// a real nginx (HTTP and HTTPS); the appliance follows the open ports up with a fingerprint scan, and the web services
/// the fingerprint found with screenshot and crawler scans, and every service it identified with a vulnscan scan, all
/// on the Jobs page with their capability as Job Name; and the asset in the inventory shows what each of them found.
/// </summary>
public sealed class FollowUpChainTests
{
    private static readonly string[] Chain = ["portscan", "fingerprint", "screenshot", "crawler", "vulnscan"];

    private static readonly Dictionary<string, string?> FastLoops = new()
    {
        ["Outpost__BuiltInScanner__PollInterval"] = "00:00:00.300",
        ["Outpost__Inventory__ProcessingInterval"] = "00:00:00.300",
    };

    [Fact]
    public async Task A_port_scan_leads_to_fingerprint_screenshot_and_crawler_jobs_and_the_asset_shows_their_results()
    {
        await using var lab = await WebLab.StartAsync();
        using var directory = new TempDirectory();
        using var daemon = await DaemonProcess.StartAsync(directory, environment: FastLoops, builtInScanner: true);
        using var api = new Api(daemon.BaseAddress);
        var local = await Scans.WaitForLocalScannerAsync(api, () => daemon.Output, Chain);

        // An admin's port scan on the Scans page, as any: 80 and 443 answer, 8081 does not.
        var portscan = (await api.AdminAsync(HttpMethod.Post, "/api/scans", new
        {
            name = "web sweep", targets = new[] { lab.Address }, ports = "80,443,8081", scannerIds = new[] { local }, maxProbesPerSecond = 200,
        })).AssertOk(201).Json.GetProperty("id").GetInt64();

        var scans = await WaitForChainAsync(api, daemon, portscan);
        var fingerprint = scans.Single(s => s.GetProperty("capability").GetString() == "fingerprint");
        Assert.Equal(portscan, fingerprint.GetProperty("followUpOf").GetInt64());
        Assert.Equal("443,80", string.Join(',', fingerprint.GetProperty("ports").GetString()!.Split(',').Order(StringComparer.Ordinal)));
        foreach (var afterFingerprint in scans.Where(s => s.GetProperty("capability").GetString() is "screenshot" or "crawler" or "vulnscan"))
        {
            Assert.Equal(fingerprint.GetProperty("id").GetInt64(), afterFingerprint.GetProperty("followUpOf").GetInt64());
            Assert.Equal([lab.Address], afterFingerprint.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
        }

        // The Jobs page lists every job of the chain under its capability.
        var jobs = (await api.AdminAsync(HttpMethod.Get, "/api/jobs?since=2000-01-01T00:00:00Z&limit=1000")).AssertOk().Json.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(Chain.Order(StringComparer.Ordinal), jobs.Select(j => j.GetProperty("name").GetString()!).Distinct().Order(StringComparer.Ordinal));
        Assert.All(jobs, j => Assert.Equal("completed", j.GetProperty("status").GetString()));

        // The asset shows what the chain found: the fingerprint's facts, the certificate, the title and a screenshot.
        var asset = await WaitForAssetAsync(api, daemon, lab.Address);
        var https = ServiceOn(asset, 443);
        Assert.Equal("https", https.GetProperty("service").GetString());
        Assert.Equal("nginx", https.GetProperty("product").GetString());
        Assert.Contains("fu-web.test", https.GetProperty("certificate").GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebLab.Title, https.GetProperty("httpTitle").GetString());
        Assert.Equal("http", ServiceOn(asset, 80).GetProperty("service").GetString());
        Assert.Contains("fu-web.test", asset.GetProperty("asset").GetProperty("hostnames").EnumerateArray().Select(h => h.GetString()));
        var screenshot = (await api.AdminAsync(HttpMethod.Get, https.GetProperty("screenshot").GetString()!)).AssertOk();
        Assert.Equal("image/png", screenshot.ContentHeaders?.ContentType?.MediaType);
    }

    private static JsonElement ServiceOn(JsonElement asset, int port) =>
        asset.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("port").GetInt32() == port);

    /// <summary>Polls the scans until the chain of <paramref name="portscan"/> has a scan of each capability and all have completed.</summary>
    private static async Task<List<JsonElement>> WaitForChainAsync(Api api, DaemonProcess daemon, long portscan)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        List<JsonElement> chain = [];
        while (DateTime.UtcNow < deadline)
        {
            var all = (await api.AdminAsync(HttpMethod.Get, "/api/scans")).AssertOk().Json.GetProperty("scans").EnumerateArray().ToList();
            chain = [.. all.Where(s => s.GetProperty("id").GetInt64() == portscan || InChain(all, s, portscan))];
            if (Chain.All(c => chain.Any(s => s.GetProperty("capability").GetString() == c))
                && chain.All(s => s.GetProperty("status").GetString() == "completed"))
            {
                Assert.Equal(Chain.Length, chain.Count); // one follow-up per capability, however often the listener ran
                return chain;
            }

            await Task.Delay(300);
        }

        throw new TimeoutException($"the chain of scan {portscan} did not complete; scans: {string.Join("\n", chain)}\n{daemon.Output}");
    }

    private static bool InChain(List<JsonElement> all, JsonElement scan, long root)
    {
        while (scan.TryGetProperty("followUpOf", out var of) && of.ValueKind == JsonValueKind.Number)
        {
            if (of.GetInt64() == root)
            {
                return true;
            }

            scan = all.SingleOrDefault(s => s.GetProperty("id").GetInt64() == of.GetInt64());
            if (scan.ValueKind == JsonValueKind.Undefined)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Polls the asset until its HTTPS service carries a screenshot (the last scan of the chain was processed).</summary>
    private static async Task<JsonElement> WaitForAssetAsync(Api api, DaemonProcess daemon, string ip)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonElement asset = default;
        while (DateTime.UtcNow < deadline)
        {
            var reply = await api.AdminAsync(HttpMethod.Get, $"/api/assets/{ip}");
            if (reply.Code == 200)
            {
                asset = reply.Json;
                if (asset.GetProperty("services").EnumerateArray().Any(s => s.GetProperty("port").GetInt32() == 443
                    && s.TryGetProperty("screenshot", out var shot) && shot.ValueKind == JsonValueKind.String))
                {
                    return asset;
                }
            }

            await Task.Delay(300);
        }

        throw new TimeoutException($"asset {ip} did not show its screenshot; last seen: {asset}\n{daemon.Output}");
    }
}
