using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Outpost.Appliance.Inventory;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>
/// The inventory over HTTP (docs/inventory.md): a finished scan shows <c>processing</c> until the processing loop
/// folds it, then its final status; two runs over the same targets give the change summary; the asset search, the
/// asset detail and the exports (CSV and NDJSON read back by parsers, nmap XML validated against nmap's DTD by xmllint).
/// </summary>
public sealed class InventoryTests
{
    private const string NmapDtd = "/usr/share/nmap/nmap.dtd";
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;

    /// <summary>Runs a port scan of 10.0.0.0/28 whose one job reports <paramref name="open"/> and completes; returns the scan's id.</summary>
    private static async Task<long> RunAsync(Api api, long scannerId, string key, (string Ip, int Port)[] open)
    {
        var scanId = await api.CreateScanAsync(["10.0.0.0/28"], [scannerId], "22,80,443");
        var jobId = Api.JobIds(await api.ClaimAsync(key))[0];
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        var results = open.Select(r => new { ip = r.Ip, port = r.Port, proto = "tcp", state = "open", ttl = 64 })
            .Append(new { ip = "10.0.0.9", port = 22, proto = "tcp", state = "closed", ttl = 64 }).ToArray();
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", new { results })).AssertOk();
        (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertOk();
        return scanId;
    }

    [Fact]
    public async Task A_finished_scan_shows_processing_until_the_loop_has_processed_it()
    {
        // The test hook holds processing before its first slice, as a large scan's processing is under way.
        await using var daemon = await Daemon.StartAsync(new Dictionary<string, string?> { ["Outpost:Inventory:PauseAfterSlices"] = "0" });
        var api = daemon.Api;
        var (scannerId, key) = await api.CreateScannerAsync("s1");
        var scanId = await RunAsync(api, scannerId, key, [("10.0.0.1", 22)]);
        var scan = await api.ScanAsync(scanId);
        Assert.Equal("processing", scan.GetProperty("status").GetString());
        Assert.Equal(0, scan.GetProperty("processing").GetProperty("processed").GetInt64());
        Assert.Equal(scanId, Assert.Single((await api.AdminAsync(Get, "/api/scans?status=processing")).AssertOk().Json.GetProperty("scans").EnumerateArray())
            .GetProperty("id").GetInt64());
        Assert.Empty((await api.AdminAsync(Get, "/api/scans?status=completed")).AssertOk().Json.GetProperty("scans").EnumerateArray());
        (await api.AdminAsync(Get, $"/api/scans/{scanId}/changes")).AssertError(409, "INVALID_TRANSITION");
        Assert.Equal(0, await daemon.Service<InventoryProcessor>().ProcessPendingAsync());
    }

    [Fact]
    public async Task Two_runs_give_the_change_summary_and_the_inventory_searches_details_and_exports_it()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scannerId, key) = await api.CreateScannerAsync("s1");
        var processor = daemon.Service<InventoryProcessor>();

        // A small scan is processed as its last job is acknowledged: the next look shows the final status and the whole share processed.
        var first = await RunAsync(api, scannerId, key, [("10.0.0.1", 22), ("10.0.0.1", 80), ("10.0.0.2", 443)]);
        var after = await api.ScanAsync(first);
        Assert.Equal("completed", after.GetProperty("status").GetString());
        Assert.Equal(3, after.GetProperty("processing").GetProperty("processed").GetInt64());
        Assert.Equal(3, after.GetProperty("processing").GetProperty("total").GetInt64());
        Assert.Equal(0, await processor.ProcessPendingAsync());
        Assert.Empty((await api.AdminAsync(Get, "/api/scans?status=processing")).AssertOk().Json.GetProperty("scans").EnumerateArray());

        var second = await RunAsync(api, scannerId, key, [("10.0.0.1", 22), ("10.0.0.2", 443), ("10.0.0.3", 80)]);
        var changes = (await api.AdminAsync(Get, $"/api/scans/{second}/changes")).AssertOk().Json;
        Assert.Equal(first, changes.GetProperty("previousScanId").GetInt64());
        Assert.Equal(["10.0.0.3"], Strings(changes.GetProperty("newAssets")));
        Assert.Empty(Strings(changes.GetProperty("goneAssets")));
        Assert.Equal(["10.0.0.3:80"], Services(changes.GetProperty("newServices")));
        Assert.Equal(["10.0.0.1:80"], Services(changes.GetProperty("goneServices")));
        Assert.Empty(changes.GetProperty("changedServices").EnumerateArray());

        // Search, filters and the cursor.
        var all = (await api.AdminAsync(Get, "/api/assets?limit=2")).AssertOk().Json;
        Assert.Equal(["10.0.0.1", "10.0.0.2"], all.GetProperty("assets").EnumerateArray().Select(a => a.GetProperty("ip").GetString()!));
        var rest = (await api.AdminAsync(Get, $"/api/assets?limit=2&cursor={all.GetProperty("nextCursor").GetString()}")).AssertOk().Json;
        Assert.Equal(["10.0.0.3"], rest.GetProperty("assets").EnumerateArray().Select(a => a.GetProperty("ip").GetString()!));
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("nextCursor").ValueKind);
        var port = (await api.AdminAsync(Get, "/api/assets?port=443")).AssertOk().Json;
        Assert.Equal(["10.0.0.2"], port.GetProperty("assets").EnumerateArray().Select(a => a.GetProperty("ip").GetString()!));
        var text = (await api.AdminAsync(Get, "/api/assets?q=0.0.3")).AssertOk().Json;
        Assert.Equal(["10.0.0.3"], text.GetProperty("assets").EnumerateArray().Select(a => a.GetProperty("ip").GetString()!));

        var detail = (await api.AdminAsync(Get, "/api/assets/10.0.0.1")).AssertOk().Json;
        Assert.Equal(1, detail.GetProperty("asset").GetProperty("services").GetInt32());
        var gone = detail.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("port").GetInt32() == 80);
        Assert.Equal(second, gone.GetProperty("goneScanId").GetInt64());
        Assert.Contains(detail.GetProperty("history").EnumerateArray(), e => e.GetProperty("kind").GetString() == "service-gone");
        Assert.Equal([second, first], detail.GetProperty("seenByScans").EnumerateArray().Select(s => s.GetInt64()));
        // The asset's vulnerabilities come with it (every status, most severe first), and only its own.
        Assert.Empty(detail.GetProperty("vulnerabilities").EnumerateArray());
        await daemon.Service<Outpost.Appliance.Vulnerabilities.VulnerabilityLedger>().RecordRunAsync(second, [], [
            new("redis-no-auth", "Redis without authentication", "critical", "10.0.0.1", 6379, "PONG", null, []),
            new("ftp-anonymous", "FTP allows anonymous login", "high", "10.0.0.2", 21, "230", null, []),
        ], CancellationToken.None);
        var withVulnerabilities = (await api.AdminAsync(Get, "/api/assets/10.0.0.1")).AssertOk().Json;
        Assert.Equal(["redis-no-auth"], withVulnerabilities.GetProperty("vulnerabilities").EnumerateArray().Select(v => v.GetProperty("checkId").GetString()!));
        (await api.AdminAsync(Get, "/api/assets/10.0.0.9")).AssertError(404, "NOT_FOUND");

        // Exports, read back by parsers.
        var csv = (await api.AdminAsync(Get, "/api/assets/services?format=csv")).AssertOk();
        Assert.Equal("text/csv", csv.ContentHeaders!.ContentType!.MediaType);
        var rows = csv.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).ToList();
        Assert.Equal("ip", rows[0][0]);
        Assert.Equal(["10.0.0.1:22", "10.0.0.1:80", "10.0.0.2:443", "10.0.0.3:80"], rows.Skip(1).Select(r => $"{r[0]}:{r[1]}"));
        var ndjson = (await api.AdminAsync(Get, "/api/assets?format=ndjson")).AssertOk();
        Assert.Equal(["10.0.0.1", "10.0.0.2", "10.0.0.3"],
            ndjson.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("ip").GetString()!));
        var assetsCsv = (await api.AdminAsync(Get, "/api/assets?format=csv&port=22")).AssertOk();
        Assert.Equal(2, assetsCsv.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        var xml = (await api.AdminAsync(Get, $"/api/scans/{second}/results?format=nmap-xml")).AssertOk();
        Assert.Equal("application/xml", xml.ContentHeaders!.ContentType!.MediaType);
        await AssertValidNmapXmlAsync(xml.Body);
        Assert.Contains("portid=\"443\"", xml.Body, StringComparison.Ordinal);
        Assert.Contains("state=\"closed\"", xml.Body, StringComparison.Ordinal);

        foreach (var bad in new[] { "/api/assets?limit=0", "/api/assets?port=70000", "/api/assets?cursor=bm9wZQ", "/api/assets?format=xml",
            "/api/assets?firstSeenSince=yesterday", "/api/assets?certExpiresWithinDays=-1", "/api/assets/services", "/api/assets/not-an-ip",
            $"/api/scans/{second}/results?format=nmap-xml&cursor=abc" })
        {
            (await api.AdminAsync(Get, bad)).AssertError(400, "BAD_REQUEST");
        }

        (await api.AdminAsync(Get, "/api/scans/999/changes")).AssertError(404, "NOT_FOUND");
    }

    private static IEnumerable<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!);

    private static IEnumerable<string> Services(JsonElement array) =>
        array.EnumerateArray().Select(e => $"{e.GetProperty("ip").GetString()}:{e.GetProperty("port").GetInt32().ToString(CultureInfo.InvariantCulture)}");

    /// <summary>xmllint, an independent parser, validates the document against the DTD nmap ships.</summary>
    internal static async Task AssertValidNmapXmlAsync(string xml)
    {
        Assert.True(File.Exists(NmapDtd), $"{NmapDtd} is missing: install the nmap package (scripts/deps.sh).");
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, xml);
            using var lint = Process.Start(new ProcessStartInfo("xmllint", ["--noout", "--dtdvalid", NmapDtd, file]) { RedirectStandardError = true })!;
            var errors = await lint.StandardError.ReadToEndAsync();
            await lint.WaitForExitAsync();
            Assert.True(lint.ExitCode == 0, $"xmllint: {errors}\n{xml}");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
