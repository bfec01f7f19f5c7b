using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// Reading the inventory (docs/inventory.md): the asset search (substring over the search index, filters, pages in
/// address order after a cursor, so a page costs the same at 1 M assets as at 10), an asset's detail, a scan's
/// change summary and the streamed exports, which read a chunk per statement and hold one chunk in memory.
/// </summary>
public sealed class InventoryQueries(RecordsDatabase database)
{
    /// <summary>Rows an export reads per statement.</summary>
    private const int ExportChunk = 2_000;

    /// <summary>How many of an asset's timeline events and sightings the detail shows (newest first).</summary>
    public const int DetailLimit = 500;

    private const string AssetColumns = "a.ip, a.hostnames, a.first_seen, a.last_seen, a.first_scan, a.last_scan, a.services, a.dns_names";
    private const string ServiceColumns =
        $"ip, port, proto, {ServiceFacts.Columns}, screenshot_scan, first_seen, last_seen, first_scan, last_scan, gone_scan";

    /// <summary>One page of the assets <paramref name="query"/> matches, in address order.</summary>
    public Task<AssetPage> SearchAsync(AssetQuery query, CancellationToken ct = default) =>
        database.ReadAsync(async (connection, token) =>
        {
            var sql = new StringBuilder($"SELECT {AssetColumns} FROM inventory_assets a WHERE a.ip > @after");
            await using var select = connection.Command("");
            select.With("@after", query.AfterIp ?? "").With("@limit", query.Limit);
            if (query.Text?.Trim().ToLowerInvariant() is { Length: > 0 } text)
            {
                if (database.Engine == RecordsEngine.Sqlite && text.Length >= 3)
                {
                    // The trigram index answers a quoted phrase as a substring match.
                    sql.Append(" AND a.id IN (SELECT rowid FROM inventory_search WHERE inventory_search MATCH @match)");
                    select.With("@match", "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"");
                }
                else
                {
                    sql.Append(" AND a.search LIKE @like ESCAPE '\\'");
                    select.With("@like", "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
                        .Replace("_", "\\_", StringComparison.Ordinal) + "%");
                }
            }

            // Each service filter is bounded by the cursor too ("s.ip > @after"): the engines do not infer it from
            // "s.ip = a.ip", and without it PostgreSQL merges the assets with the filter's index from that index's
            // start, e.g. every service on the port before the cursor (198 ms at p99 at 1 M assets, docs/performance.md).
            if (query.Port is { } port)
            {
                sql.Append(" AND EXISTS (SELECT 1 FROM inventory_services s WHERE s.ip = a.ip AND s.ip > @after AND s.port = @port AND s.gone_scan IS NULL)");
                select.With("@port", port);
            }

            if (query.Service is { Length: > 0 } service)
            {
                sql.Append(" AND EXISTS (SELECT 1 FROM inventory_services s WHERE s.ip = a.ip AND s.ip > @after AND s.service = @service AND s.gone_scan IS NULL)");
                select.With("@service", service);
            }

            if (query.FirstSeenSince is { } since)
            {
                sql.Append(" AND a.first_seen >= @since");
                select.With("@since", RecordsCommands.Microseconds(since));
            }

            if (query.CertificateExpiresBefore is { } expires)
            {
                sql.Append(" AND EXISTS (SELECT 1 FROM inventory_services s WHERE s.ip = a.ip AND s.ip > @after AND s.cert_not_after < @expires AND s.gone_scan IS NULL)");
                select.With("@expires", RecordsCommands.Microseconds(expires));
            }

            select.CommandText = sql.Append(" ORDER BY a.ip LIMIT @limit").ToString();
            var assets = new List<AssetSummary>(Math.Min(query.Limit, 1024));
            await using var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false)) assets.Add(ReadAsset(reader));
            return new AssetPage(assets, assets.Count == query.Limit ? assets[^1].Ip : null);
        }, ct);

    /// <summary>The asset at <paramref name="ip"/> with its services, the scans that saw it and its timeline, or null.</summary>
    public Task<AssetDetail?> GetAssetAsync(string ip, CancellationToken ct = default) =>
        database.ReadAsync<AssetDetail?>(async (connection, token) =>
        {
            AssetSummary asset;
            await using (var select = connection.Command($"SELECT {AssetColumns} FROM inventory_assets a WHERE a.ip = @ip").With("@ip", ip))
            await using (var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(token).ConfigureAwait(false)) return null;
                asset = ReadAsset(reader);
            }

            var services = new List<InventoryService>();
            await using (var select = connection.Command($"SELECT {ServiceColumns} FROM inventory_services WHERE ip = @ip ORDER BY port, proto").With("@ip", ip))
            await using (var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(token).ConfigureAwait(false)) services.Add(ReadService(reader));
            }

            var scans = new List<long>();
            await using (var select = connection.Command("SELECT scan_id FROM inventory_sightings WHERE ip = @ip ORDER BY scan_id DESC LIMIT @limit")
                .With("@ip", ip).With("@limit", DetailLimit))
            await using (var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(token).ConfigureAwait(false)) scans.Add(reader.GetInt64(0));
            }

            var history = new List<HistoryEvent>();
            await using (var select = connection.Command(
                "SELECT at, scan_id, kind, port, proto, detail FROM inventory_history WHERE ip = @ip ORDER BY scan_id DESC, kind, port, proto LIMIT @limit")
                .With("@ip", ip).With("@limit", DetailLimit))
            await using (var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    history.Add(new HistoryEvent(RecordsCommands.Time(reader.GetInt64(0)), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3),
                        reader.GetString(4), reader.GetStringOrNull(5)));
                }
            }

            return new AssetDetail(asset, services, scans, history);
        }, ct);

    /// <summary>The scan's change summary, or null while the scan is not processed.</summary>
    public Task<ChangeSummary?> GetChangesAsync(long scanId, CancellationToken ct = default) =>
        database.ReadAsync<ChangeSummary?>(async (connection, token) =>
        {
            long? previous;
            await using (var select = connection.Command("SELECT previous_scan, phase FROM inventory_processing WHERE scan_id = @scan").With("@scan", scanId))
            await using (var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(token).ConfigureAwait(false) || reader.GetInt32(1) < (int)ProcessingPhase.Processed) return null;
                previous = reader.IsDBNull(0) ? null : reader.GetInt64(0);
            }

            return await ChangeSummaries.ReadAsync(connection, scanId, previous, token).ConfigureAwait(false);
        }, ct);

    /// <summary>The sizes of the lists of the scan's change summary (zero when it has none).</summary>
    public Task<ChangeCounts> GetChangeCountsAsync(long scanId, CancellationToken ct = default) =>
        database.ReadAsync(async (connection, token) =>
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            await using var select = connection.Command("SELECT kind, count(*) FROM inventory_changes WHERE scan_id = @scan GROUP BY kind").With("@scan", scanId);
            await using var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false)) counts[reader.GetString(0)] = Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
            return new ChangeCounts(counts.GetValueOrDefault("asset-new"), counts.GetValueOrDefault("asset-gone"), counts.GetValueOrDefault("service-new"),
                counts.GetValueOrDefault("service-gone"), counts.GetValueOrDefault("service-changed"));
        }, ct);

    /// <summary>Every asset <paramref name="query"/> matches (its limit and cursor are ignored), a chunk at a time.</summary>
    public async IAsyncEnumerable<AssetSummary> ExportAssetsAsync(AssetQuery query, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var page = query with { Limit = ExportChunk, AfterIp = null };
        while (true)
        {
            var chunk = await SearchAsync(page, ct).ConfigureAwait(false);
            foreach (var asset in chunk.Assets) yield return asset;
            if (chunk.NextAfterIp is null) yield break;
            page = page with { AfterIp = chunk.NextAfterIp };
        }
    }

    /// <summary>Every service of the inventory in key order, a chunk at a time.</summary>
    public async IAsyncEnumerable<InventoryService> ExportServicesAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        (string Ip, int Port, string Proto)? after = null;
        while (true)
        {
            var chunk = await database.ReadAsync(async (connection, token) =>
            {
                await using var select = connection.Command(after is null
                    ? $"SELECT {ServiceColumns} FROM inventory_services ORDER BY ip, port, proto LIMIT @limit"
                    : $"SELECT {ServiceColumns} FROM inventory_services WHERE (ip, port, proto) > (@ip, @port, @proto) ORDER BY ip, port, proto LIMIT @limit");
                select.With("@limit", ExportChunk);
                if (after is { } key) select.With("@ip", key.Ip).With("@port", key.Port).With("@proto", key.Proto);
                var rows = new List<InventoryService>(ExportChunk);
                await using var reader = await select.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await reader.ReadAsync(token).ConfigureAwait(false)) rows.Add(ReadService(reader));
                return rows;
            }, ct).ConfigureAwait(false);
            foreach (var service in chunk) yield return service;
            if (chunk.Count < ExportChunk) yield break;
            var last = chunk[^1].Facts;
            after = (last.Ip, last.Port, last.Proto);
        }
    }

    /// <summary>
    /// What a scan saw of each port, in key order, a chunk at a time: every finding (open or not) with the service
    /// facts processing recorded for it (null before processing, or for a port that is not open).
    /// </summary>
    public async IAsyncEnumerable<(string State, ServiceSnapshot Service)> ExportScanAsync(long scanId, [EnumeratorCancellation] CancellationToken ct = default)
    {
        (string Ip, int Port, string Proto) after = ("", 0, "");
        while (true)
        {
            var chunk = await database.ReadAsync(async (connection, token) =>
            {
                await using var select = connection.Command("""
                    SELECT f.ip, f.port, f.proto, f.state, s.service, s.product, s.version, s.cert_subject, s.cert_sha256, s.cert_not_after, s.http_title
                    FROM scan_findings f LEFT JOIN inventory_scan_services s ON s.scan_id = f.scan_id AND s.ip = f.ip AND s.port = f.port AND s.proto = f.proto
                    WHERE f.scan_id = @scan AND (f.ip, f.port, f.proto) > (@ip, @port, @proto) ORDER BY f.ip, f.port, f.proto LIMIT @limit
                    """).With("@scan", scanId).With("@ip", after.Ip).With("@port", after.Port).With("@proto", after.Proto).With("@limit", ExportChunk);
                var rows = new List<(string, ServiceSnapshot)>(ExportChunk);
                await using var r = await select.ExecuteReaderAsync(token).ConfigureAwait(false);
                while (await r.ReadAsync(token).ConfigureAwait(false))
                {
                    rows.Add((r.GetString(3), ServiceFacts.Read(r, 0, 4)));
                }

                return rows;
            }, ct).ConfigureAwait(false);
            foreach (var row in chunk) yield return row;
            if (chunk.Count < ExportChunk) yield break;
            var last = chunk[^1].Item2;
            after = (last.Ip, last.Port, last.Proto);
        }
    }

    private static AssetSummary ReadAsset(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1).Split(' ', StringSplitOptions.RemoveEmptyEntries), RecordsCommands.Time(r.GetInt64(2)),
            RecordsCommands.Time(r.GetInt64(3)), r.GetInt64(4), r.GetInt64(5), r.GetInt32(6), r.GetString(7).Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static InventoryService ReadService(DbDataReader r) =>
        new(ServiceFacts.Read(r, 0, 3), r.IsDBNull(10) ? null : r.GetInt64(10), RecordsCommands.Time(r.GetInt64(11)), RecordsCommands.Time(r.GetInt64(12)),
            r.GetInt64(13), r.GetInt64(14), r.IsDBNull(15) ? null : r.GetInt64(15));
}
