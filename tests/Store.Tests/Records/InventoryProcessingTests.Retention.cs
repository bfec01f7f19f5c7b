using Outpost.Store.Records;
using Outpost.Store.Records.Capabilities;
using Outpost.Store.Records.Inventory;

namespace Outpost.Store.Tests.Records;

/// <summary>Retention of the inventory: a removed scan's own rows go, the assets, services and timeline stay (docs/inventory.md).</summary>
public abstract partial class InventoryProcessingContract
{
    [Fact]
    public async Task Retention_removes_a_gone_scans_own_rows_and_keeps_the_assets_services_and_timeline()
    {
        await FirstRunAsync(Database);
        await new CapabilityResults(Database).PutScreenshotAsync(1, 13, "10.0.0.1", 22, "http://10.0.0.1:22/", [0x89, 0x50, 0x4E, 0x47], T0);
        await ProcessAsync(Database, 1);
        await SecondRunAsync(Database);
        await ProcessAsync(Database, 2);
        var queries = new InventoryQueries(Database);
        Assert.Equal(1, (await queries.GetAssetAsync("10.0.0.1"))!.Services.Single(s => s.Facts.Port == 22).ScreenshotScanId);
        Assert.All(await RowsOfScanAsync(1), table => Assert.NotEqual(0, table.Rows));

        Assert.Equal(1, await new InventoryRetention(Database).RemoveGoneScansAsync(scan => scan != 1));

        Assert.All(await RowsOfScanAsync(1), table => Assert.True(table.Rows == 0, $"{table.Name} still holds {table.Rows} rows of scan 1"));
        Assert.Null(await queries.GetChangesAsync(1));
        Assert.Null(await new InventoryProcessing(Database).GetAsync(1));
        var web = (await queries.GetAssetAsync("10.0.0.1"))!;
        Assert.Equal([2L], web.SeenByScans);
        Assert.Equal((1L, 2L), (web.Asset.FirstScanId, web.Asset.LastScanId));
        Assert.Contains(web.History, e => e is { Kind: "asset-new", ScanId: 1 });
        Assert.Equal([(22, (long?)null), (80, 2L)], web.Services.Select(s => (s.Facts.Port, s.GoneScanId)));
        // The screenshot went with its scan, so the service no longer points at it.
        Assert.Null(web.Services.Single(s => s.Facts.Port == 22).ScreenshotScanId);
        // A scan only seen by the removed one stays an asset too.
        Assert.NotNull(await queries.GetAssetAsync("10.0.0.2"));
        // The later run's summary is its own and stays, naming the run it compared against.
        Assert.Equal(1, (await queries.GetChangesAsync(2))!.PreviousScanId);
        Assert.All(await RowsOfScanAsync(2), table => Assert.NotEqual(0, table.Rows));

        Assert.Equal(0, await new InventoryRetention(Database).RemoveGoneScansAsync(scan => scan != 1));
    }

    private Task<List<(string Name, long Rows)>> RowsOfScanAsync(long scanId) =>
        Database.ReadAsync(async (connection, ct) =>
        {
            var counts = new List<(string, long)>();
            foreach (var table in (string[])["inventory_scan_services", "inventory_changes", "inventory_sightings", "inventory_processing"])
            {
                await using var count = connection.Command($"SELECT count(*) FROM {table} WHERE scan_id = @scan").With("@scan", scanId);
                counts.Add((table, Convert.ToInt64(await count.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture)));
            }

            return counts;
        });
}
