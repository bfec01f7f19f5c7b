using System.Text.Json;
using Outpost.Appliance.Scheduling;
using Outpost.Appliance.Tests.Infrastructure;
using Outpost.Store.Records;
using Outpost.Store.Records.Inventory;

namespace Outpost.Appliance.Tests;

/// <summary>
/// Retention and the inventory over HTTP (docs/inventory.md, "Retention"): a scan retention removes takes its own
/// inventory rows with it (its change summary, its sightings), while the assets it found stay.
/// </summary>
public sealed class InventoryRetentionTests
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;

    [Fact]
    public async Task A_scan_removed_by_retention_leaves_the_inventory_its_assets_but_not_its_summary_or_sightings()
    {
        await using var daemon = await Daemon.StartAsync();
        var api = daemon.Api;
        var (scannerId, key) = await api.CreateScannerAsync("s1");
        async Task<long> RunAsync(params (string Ip, int Port)[] open)
        {
            var scanId = await api.CreateScanAsync(["10.0.0.0/28"], [scannerId], "22,80");
            var jobId = Api.JobIds(await api.ClaimAsync(key))[0];
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/start")).AssertOk();
            var results = open.Select(r => new { ip = r.Ip, port = r.Port, proto = "tcp", state = "open", ttl = 64 }).ToArray();
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/results", new { results })).AssertOk();
            (await api.ScannerAsync(key, Post, $"/scanner/jobs/{jobId}/complete", new { status = "completed" })).AssertOk();
            // Small scans are processed as their last job is acknowledged.
            Assert.Equal("completed", (await api.ScanAsync(scanId)).GetProperty("status").GetString());
            return scanId;
        }

        var old = await RunAsync(("10.0.0.1", 22), ("10.0.0.2", 80));
        daemon.Clock.Advance(TimeSpan.FromDays(29));
        var recent = await RunAsync(("10.0.0.1", 22));
        Assert.Equal([recent, old], SeenBy((await api.AdminAsync(Get, "/api/assets/10.0.0.1")).AssertOk().Json));
        (await api.AdminAsync(Get, $"/api/scans/{old}/changes")).AssertOk();

        daemon.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await daemon.Service<Retention>().PruneAsync());

        (await api.AdminAsync(Get, $"/api/scans/{old}/changes")).AssertError(404, "NOT_FOUND");
        Assert.Null(await new InventoryProcessing(daemon.Service<RecordsDatabase>()).GetAsync(old));
        var kept = (await api.AdminAsync(Get, "/api/assets/10.0.0.1")).AssertOk().Json;
        Assert.Equal([recent], SeenBy(kept));
        Assert.Contains(kept.GetProperty("history").EnumerateArray(), e => e.GetProperty("kind").GetString() == "asset-new" && e.GetProperty("scanId").GetInt64() == old);
        // Only the removed scan saw 10.0.0.2 (the later run reported it gone): it stays an asset of the inventory.
        Assert.Empty(SeenBy((await api.AdminAsync(Get, "/api/assets/10.0.0.2")).AssertOk().Json));
        var changes = (await api.AdminAsync(Get, $"/api/scans/{recent}/changes")).AssertOk().Json;
        Assert.Equal(["10.0.0.2"], changes.GetProperty("goneAssets").EnumerateArray().Select(a => a.GetString()!));
    }

    private static List<long> SeenBy(JsonElement asset) => [.. asset.GetProperty("seenByScans").EnumerateArray().Select(s => s.GetInt64())];
}
