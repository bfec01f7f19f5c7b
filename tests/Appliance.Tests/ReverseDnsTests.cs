using System.Text.Json;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>
/// Reverse DNS of the inventory's addresses (docs/inventory.md, "Hostnames"), through the machine's real resolver:
/// 127.0.0.1 is <c>localhost</c> in /etc/hosts, so a scan that finds it gives the asset that name, marked as reverse
/// DNS's, searchable and in the exports; turned off, nothing is looked up.
/// </summary>
public sealed class ReverseDnsTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly Dictionary<string, string?> On = new() { ["Outpost:Inventory:ReverseDns:Enabled"] = "true" };

    /// <summary>A port scan of 127.0.0.1 whose one job reports port 22 open, processed.</summary>
    private static async Task<long> ScanLoopbackAsync(Api api, (long Id, string Key) scanner)
    {
        var (scannerId, key) = scanner;
        var scanId = await api.CreateScanAsync(["127.0.0.1"], [scannerId], "22");
        var jobId = Api.JobIds(await api.ClaimAsync(key))[0];
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        var results = new[] { new { ip = "127.0.0.1", port = 22, proto = "tcp", state = "open", ttl = 64 } };
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", new { results })).AssertOk();
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertOk();
        Assert.Equal("completed", (await api.ProcessedScanAsync(scanId)).GetProperty("status").GetString());
        return scanId;
    }

    [Fact]
    public async Task A_scanned_address_gets_its_name_from_the_system_resolver_searchable_and_exported()
    {
        await using var daemon = await Daemon.StartAsync(On);
        var api = daemon.Api;
        var scanner = await api.CreateScannerAsync("s1");
        var scanId = await ScanLoopbackAsync(api, scanner);

        // The loop looks up new addresses every few seconds; one batch now makes the test independent of its timing.
        await daemon.Service<ReverseDnsLookups>().LookUpDueAsync();
        var asset = (await api.AdminAsync(Get, "/api/assets/127.0.0.1")).AssertOk().Json.GetProperty("asset");
        Assert.Contains("localhost", Strings(asset.GetProperty("hostnames")));
        Assert.Contains("localhost", Strings(asset.GetProperty("dnsNames")));
        Assert.Equal(0, await daemon.Service<ReverseDnsLookups>().LookUpDueAsync());

        var found = (await api.AdminAsync(Get, "/api/assets?q=localhost")).AssertOk().Json.GetProperty("assets");
        Assert.Equal(["127.0.0.1"], found.EnumerateArray().Select(a => a.GetProperty("ip").GetString()!));
        var csv = (await api.AdminAsync(Get, "/api/assets?format=csv")).AssertOk().Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = csv[0].Split(',');
        var row = csv[1].Split(',');
        Assert.Contains("localhost", row[Array.IndexOf(header, "dnsNames")].Split(' '));
        var ndjson = JsonDocument.Parse((await api.AdminAsync(Get, "/api/assets?format=ndjson")).AssertOk().Body.Trim()).RootElement;
        Assert.Contains("localhost", Strings(ndjson.GetProperty("dnsNames")));
        // nmap XML names it as nmap names a reverse DNS answer, still valid against nmap's DTD.
        var xml = (await api.AdminAsync(Get, $"/api/scans/{scanId}/results?format=nmap-xml")).AssertOk().Body;
        Assert.Contains("<hostname name=\"localhost\" type=\"PTR\" />", xml, StringComparison.Ordinal);
        await InventoryTests.AssertValidNmapXmlAsync(xml);

        // A later scan of the address keeps the name: the fold merges the hostnames it knows.
        await ScanLoopbackAsync(api, scanner);
        var again = (await api.AdminAsync(Get, "/api/assets?q=localhost")).AssertOk().Json.GetProperty("assets");
        Assert.Contains("localhost", Strings(Assert.Single(again.EnumerateArray()).GetProperty("hostnames")));
    }

    [Fact]
    public async Task Turned_off_nothing_is_looked_up()
    {
        await using var daemon = await Daemon.StartAsync(new Dictionary<string, string?> { ["Outpost:Inventory:ReverseDns:Enabled"] = "false" });
        var api = daemon.Api;
        var scanner = await api.CreateScannerAsync("s1");
        await ScanLoopbackAsync(api, scanner);

        Assert.Equal(0, await daemon.Service<ReverseDnsLookups>().LookUpDueAsync());
        var asset = (await api.AdminAsync(Get, "/api/assets/127.0.0.1")).AssertOk().Json.GetProperty("asset");
        Assert.Empty(Strings(asset.GetProperty("dnsNames")));
        Assert.DoesNotContain("localhost", Strings(asset.GetProperty("hostnames")));
        Assert.Empty((await api.AdminAsync(Get, "/api/assets?q=localhost")).AssertOk().Json.GetProperty("assets").EnumerateArray());
    }

    private static IEnumerable<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!);
}
