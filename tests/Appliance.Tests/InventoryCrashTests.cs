using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Outpost.Appliance.Tests.Infrastructure;

namespace Outpost.Appliance.Tests;

/// <summary>
/// docs/inventory.md, "Processing", against the real process: a scan large enough for many processing slices is cut
/// by <c>kill -9</c> after some of its slices committed; after a restart on the same data directory processing resumes,
/// and the inventory (assets, services, timelines, change summaries) equals that of a second daemon that processed the
/// same uploads without interruption — nothing lost, nothing counted twice.
/// </summary>
public sealed class InventoryCrashTests
{
    private const int SliceRows = 100;
    private const int PortsPerAddress = 4;
    private const int Addresses = 250;

    /// <summary>The hook counts the slices since the start: the first run's one, then two of the second run's ten.</summary>
    private static readonly Dictionary<string, string?> Paused = new()
    {
        ["Outpost__Inventory__SliceRows"] = SliceRows.ToString(CultureInfo.InvariantCulture),
        ["Outpost__Inventory__PauseAfterSlices"] = "3",
    };

    private static readonly Dictionary<string, string?> Unpaused = new()
    {
        ["Outpost__Inventory__SliceRows"] = SliceRows.ToString(CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task Kill_9_mid_processing_resumes_to_the_inventory_of_an_uninterrupted_run()
    {
        using var crashed = new TempDirectory();
        long first, second, folded;
        using (var daemon = await DaemonProcess.StartAsync(crashed, environment: Paused))
        using (var api = new Api(daemon.BaseAddress))
        {
            (first, second) = await UploadBothRunsAsync(api, daemon);

            // The hook holds processing after the second run's second slice (both committed): that is where the kill cuts it.
            var scan = await WaitAsync(api, daemon, second, s => Processed(s) >= 2 * SliceRows);
            Assert.Equal("processing", scan.GetProperty("status").GetString());
            Assert.Equal(Addresses * PortsPerAddress, scan.GetProperty("processing").GetProperty("total").GetInt64());
            folded = Processed(scan);
            Assert.True(folded < Addresses * PortsPerAddress, scan.ToString());
            daemon.KillHard();
        }

        using var uninterrupted = new TempDirectory();
        string expected;
        using (var daemon = await DaemonProcess.StartAsync(uninterrupted, environment: Unpaused))
        using (var api = new Api(daemon.BaseAddress))
        {
            Assert.Equal((first, second), await UploadBothRunsAsync(api, daemon));
            await WaitAsync(api, daemon, second, IsCompleted);
            expected = await InventoryAsync(api, first, second);
        }

        using (var daemon = await DaemonProcess.StartAsync(crashed, environment: Unpaused))
        using (var api = new Api(daemon.BaseAddress))
        {
            // It resumes after the slices committed before the kill, rather than starting over.
            var resumed = await daemon.WaitForOutputAsync(
                new Regex(string.Create(CultureInfo.InvariantCulture, $@"inventory: processing scan {second} \((\d+) of")), TimeSpan.FromSeconds(60));
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"({folded} of {Addresses * PortsPerAddress} results folded)"), resumed,
                StringComparison.Ordinal);
            var scan = await WaitAsync(api, daemon, second, IsCompleted);
            Assert.Equal(Addresses * PortsPerAddress, Processed(scan));
            Assert.Equal(expected, await InventoryAsync(api, first, second));
        }
    }

    /// <summary>
    /// A small first run (one slice, processed as it completes), then a second over the same targets with 1 000 open
    /// ports on 250 addresses: one of the first run's ports gone, most new. Returns both scans' ids.
    /// </summary>
    private static async Task<(long First, long Second)> UploadBothRunsAsync(Api api, DaemonProcess daemon)
    {
        var (scannerId, key) = await api.CreateScannerAsync("s1");
        var first = await RunAsync(api, scannerId, key, [.. Enumerable.Range(0, 10).Select(i => (Ip(i), 22)), (Ip(3), 8080)]);
        await WaitAsync(api, daemon, first, IsCompleted);
        var second = await RunAsync(api, scannerId, key,
            [.. Enumerable.Range(0, Addresses).SelectMany(i => new[] { 22, 80, 443, 3306 }.Select(port => (Ip(i), port)))]);
        return (first, second);
    }

    private static string Ip(int i) => string.Create(CultureInfo.InvariantCulture, $"10.0.0.{1 + i}");

    /// <summary>A port scan of 10.0.0.0/24 whose one job uploads <paramref name="open"/> in batches and completes.</summary>
    private static async Task<long> RunAsync(Api api, long scannerId, string key, (string Ip, int Port)[] open)
    {
        var scanId = await api.CreateScanAsync(["10.0.0.0/24"], [scannerId], "22,80,443,3306,8080");
        // The scan's own job: the claim may also hand out a follow-up of the first run, which stays claimed (alike on both daemons).
        var jobId = (await api.ClaimAsync(key, "10")).AssertOk().Json.GetProperty("jobs").EnumerateArray()
            .Single(j => j.GetProperty("scanId").GetInt64() == scanId).GetProperty("jobId").GetInt64();
        (await api.ScannerAsync(key, HttpMethod.Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
        foreach (var batch in open.Chunk(300))
        {
            var results = batch.Select(r => new { ip = r.Ip, port = r.Port, proto = "tcp", state = "open", ttl = 64 }).ToArray();
            (await api.ScannerAsync(key, HttpMethod.Post, $"/scanner/jobs/{jobId}/results", new { results })).AssertOk();
        }

        (await api.ScannerAsync(key, HttpMethod.Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertOk();
        return scanId;
    }

    private static bool IsCompleted(JsonElement scan) => scan.GetProperty("status").GetString() == "completed";

    private static long Processed(JsonElement scan) =>
        scan.TryGetProperty("processing", out var p) && p.ValueKind == JsonValueKind.Object ? p.GetProperty("processed").GetInt64() : 0;

    /// <summary>Polls the scan until <paramref name="done"/> holds (processing runs in the background loop too).</summary>
    private static async Task<JsonElement> WaitAsync(Api api, DaemonProcess daemon, long scanId, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonElement scan = default;
        while (DateTime.UtcNow < deadline)
        {
            scan = await api.ScanAsync(scanId);
            if (done(scan))
            {
                return scan;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"scan {scanId} did not get there; last seen: {scan}\n{daemon.Output}");
    }

    /// <summary>
    /// The inventory as text: every asset's detail (services, timeline, the scans that saw it), every service, and
    /// both runs' change summaries; times are the runs' finishes, which differ between daemons, so they are left out.
    /// </summary>
    private static async Task<string> InventoryAsync(Api api, long first, long second)
    {
        var parts = new JsonArray();
        var assets = (await api.AdminAsync(HttpMethod.Get, "/api/assets?limit=1000")).AssertOk().Json;
        Assert.Equal(JsonValueKind.Null, assets.GetProperty("nextCursor").ValueKind);
        var ips = assets.GetProperty("assets").EnumerateArray().Select(a => a.GetProperty("ip").GetString()!).ToList();
        Assert.Equal(Addresses, ips.Count);
        parts.Add(WithoutTimes(assets));
        foreach (var ip in ips)
        {
            parts.Add(WithoutTimes((await api.AdminAsync(HttpMethod.Get, $"/api/assets/{ip}")).AssertOk().Json));
        }

        var services = (await api.AdminAsync(HttpMethod.Get, "/api/assets/services?format=ndjson")).AssertOk().Body
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal((Addresses * PortsPerAddress) + 1, services.Length); // 10.0.0.4:8080 is gone, not forgotten
        foreach (var line in services)
        {
            parts.Add(WithoutTimes(JsonDocument.Parse(line).RootElement));
        }

        foreach (var scanId in new[] { first, second })
        {
            parts.Add(WithoutTimes((await api.AdminAsync(HttpMethod.Get, $"/api/scans/{scanId}/changes")).AssertOk().Json));
        }

        var changes = (await api.AdminAsync(HttpMethod.Get, $"/api/scans/{second}/changes")).AssertOk().Json;
        Assert.Equal((Addresses * PortsPerAddress) - 10, changes.GetProperty("newServices").GetArrayLength());
        Assert.Single(changes.GetProperty("goneServices").EnumerateArray());
        return parts.ToJsonString();
    }

    /// <summary>The element with every time (first/last seen, a timeline event's time, the summary's finish) removed.</summary>
    private static JsonNode? WithoutTimes(JsonElement element)
    {
        var node = JsonNode.Parse(element.GetRawText());
        Strip(node);
        return node;
    }

    private static void Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var name in o.Select(p => p.Key).Where(IsTime).ToList())
                {
                    o.Remove(name);
                }

                foreach (var (_, value) in o)
                {
                    Strip(value);
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Strip(item);
                }

                break;
        }
    }

    private static bool IsTime(string name) => name is "firstSeen" or "lastSeen" or "at" || name.EndsWith("At", StringComparison.Ordinal);
}
