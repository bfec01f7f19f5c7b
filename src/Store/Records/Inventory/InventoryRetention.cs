using System.Text;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// Removes the inventory rows that belong to scans the job store no longer has (docs/inventory.md, "Retention"): what
/// each scan saw (<c>inventory_scan_services</c>), its change summary, its processing row and the sightings that name
/// it; a screenshot it took is no longer referred to (retention removed the image with the scan). The assets, services
/// and timeline stay: they describe the network, not one scan, and keep the scan numbers they mention as history.
/// </summary>
public sealed class InventoryRetention(RecordsDatabase database)
{
    /// <summary>
    /// Scans removed per transaction. The sightings are keyed by address first, so removing a scan's sightings reads
    /// the whole table: one statement per group of scans, not per scan, keeps a large pass to a few reads.
    /// </summary>
    private const int ScansPerTransaction = 100;

    /// <summary>The rows keyed by scan that go with it; the processing row, the marker of a processed scan, goes last.</summary>
    private static readonly string[] ScanTables = ["inventory_scan_services", "inventory_changes", "inventory_sightings", "inventory_processing"];

    /// <summary>Removes the rows of every processed scan for which <paramref name="scanExists"/> is false; returns how many scans.</summary>
    public async Task<int> RemoveGoneScansAsync(Func<long, bool> scanExists, CancellationToken ct = default)
    {
        // Every scan with inventory rows has a processing row: it is written before the first slice and removed last.
        var scans = await database.ReadAsync(async (connection, token) =>
        {
            await using var select = connection.Command("SELECT scan_id FROM inventory_processing");
            return await select.ReadAllAsync(reader => reader.GetInt64(0), token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

        var removed = 0;
        foreach (var group in scans.Where(id => !scanExists(id)).Chunk(ScansPerTransaction))
        {
            removed += await database.WriteAsync(async (connection, transaction, token) =>
            {
                var list = new StringBuilder();
                for (var i = 0; i < group.Length; i++) list.Append(i == 0 ? "" : ", ").Append("@s").Append(i);
                foreach (var sql in ScanTables.Select(t => $"DELETE FROM {t} WHERE scan_id IN ({list})")
                             .Append($"UPDATE inventory_services SET screenshot_scan = NULL WHERE screenshot_scan IN ({list})"))
                {
                    await using var command = connection.Command(sql, transaction);
                    for (var i = 0; i < group.Length; i++) command.With("@s" + i, group[i]);
                    await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }

                return (true, group.Length);
            }, ct).ConfigureAwait(false);
        }

        return removed;
    }
}
