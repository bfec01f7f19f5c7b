using System.Data.Common;

namespace Outpost.Store.Records.Inventory;

/// <summary>
/// The change summary of a scan against the previous run over the same targets (docs/inventory.md): the difference of
/// what the two scans saw (<c>inventory_scan_services</c>), written to <c>inventory_changes</c> by SQL on both engines.
/// Services are compared by (ip, port, proto); a service changed when both runs fingerprinted it and its product,
/// version or certificate differs, or when both have a title and it differs.
/// </summary>
internal static class ChangeSummaries
{
    private const string Facts = ServiceFacts.Columns;
    private const string PreviousFacts = "prev_service, prev_product, prev_version, prev_cert_subject, prev_cert_sha256, prev_cert_not_after, prev_http_title";
    private const string Insert = "INSERT INTO inventory_changes (scan_id, kind, ip, port, proto, " + Facts;

    private static readonly string[] Statements =
    [
        "DELETE FROM inventory_changes WHERE scan_id = @scan",
        $"""
        {Insert}) SELECT @scan, 'service-new', c.ip, c.port, c.proto, c.service, c.product, c.version, c.cert_subject, c.cert_sha256, c.cert_not_after, c.http_title
        FROM inventory_scan_services c WHERE c.scan_id = @scan AND NOT EXISTS
            (SELECT 1 FROM inventory_scan_services p WHERE p.scan_id = @previous AND p.ip = c.ip AND p.port = c.port AND p.proto = c.proto)
        """,
        $"""
        {Insert}) SELECT @scan, 'service-gone', p.ip, p.port, p.proto, p.service, p.product, p.version, p.cert_subject, p.cert_sha256, p.cert_not_after, p.http_title
        FROM inventory_scan_services p WHERE p.scan_id = @previous AND NOT EXISTS
            (SELECT 1 FROM inventory_scan_services c WHERE c.scan_id = @scan AND c.ip = p.ip AND c.port = p.port AND c.proto = p.proto)
        """,
        $"""
        {Insert}, {PreviousFacts})
        SELECT @scan, 'service-changed', c.ip, c.port, c.proto, c.service, c.product, c.version, c.cert_subject, c.cert_sha256, c.cert_not_after, c.http_title,
            p.service, p.product, p.version, p.cert_subject, p.cert_sha256, p.cert_not_after, p.http_title
        FROM inventory_scan_services c JOIN inventory_scan_services p ON p.scan_id = @previous AND p.ip = c.ip AND p.port = c.port AND p.proto = c.proto
        WHERE c.scan_id = @scan AND (
            (c.service IS NOT NULL AND p.service IS NOT NULL AND
                (c.product IS DISTINCT FROM p.product OR c.version IS DISTINCT FROM p.version OR c.cert_sha256 IS DISTINCT FROM p.cert_sha256))
            OR (c.http_title IS NOT NULL AND p.http_title IS NOT NULL AND c.http_title <> p.http_title))
        """,
        """
        INSERT INTO inventory_changes (scan_id, kind, ip, port, proto) SELECT DISTINCT @scan, 'asset-new', c.ip, 0, ''
        FROM inventory_scan_services c WHERE c.scan_id = @scan AND NOT EXISTS (SELECT 1 FROM inventory_scan_services p WHERE p.scan_id = @previous AND p.ip = c.ip)
        """,
        """
        INSERT INTO inventory_changes (scan_id, kind, ip, port, proto) SELECT DISTINCT @scan, 'asset-gone', p.ip, 0, ''
        FROM inventory_scan_services p WHERE p.scan_id = @previous AND NOT EXISTS (SELECT 1 FROM inventory_scan_services c WHERE c.scan_id = @scan AND c.ip = p.ip)
        """,
        // What the previous run saw and this one did not is gone from the inventory too, unless a later scan saw it.
        """
        UPDATE inventory_services SET gone_scan = @scan WHERE last_scan < @scan AND (ip, port, proto) IN
            (SELECT ip, port, proto FROM inventory_changes WHERE scan_id = @scan AND kind = 'service-gone')
        """,
        """
        UPDATE inventory_assets SET services = (SELECT count(*) FROM inventory_services s WHERE s.ip = inventory_assets.ip AND s.gone_scan IS NULL)
        WHERE ip IN (SELECT ip FROM inventory_changes WHERE scan_id = @scan AND kind = 'service-gone')
        """,
        """
        INSERT INTO inventory_history (ip, scan_id, kind, port, proto, at, detail) SELECT ip, @scan, kind, port, proto, @at, service
        FROM inventory_changes WHERE scan_id = @scan AND kind IN ('service-gone', 'asset-gone') ON CONFLICT DO NOTHING
        """,
    ];

    public static async Task WriteAsync(DbConnection connection, DbTransaction transaction, long scanId, long? previousScanId, long at, CancellationToken ct)
    {
        foreach (var sql in Statements)
        {
            // With no previous run nothing matches "p.scan_id = @previous" (-1 is no scan's id): everything is new, nothing gone.
            await using var command = connection.Command(sql, transaction).With("@scan", scanId).With("@previous", previousScanId ?? -1).With("@at", at);
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>The scan's summary as written; <paramref name="previousScanId"/> is the run it compared against.</summary>
    public static async Task<ChangeSummary> ReadAsync(DbConnection connection, long scanId, long? previousScanId, CancellationToken ct)
    {
        List<string> newAssets = [], goneAssets = [];
        List<ServiceSnapshot> newServices = [], goneServices = [];
        List<ServiceChange> changed = [];
        await using var select = connection.Command(
            $"SELECT kind, ip, port, proto, {Facts}, {PreviousFacts} FROM inventory_changes " +
            "WHERE scan_id = @scan ORDER BY kind, ip, port, proto").With("@scan", scanId);
        await using var r = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var service = ServiceFacts.Read(r, 1, 4);
            switch (r.GetString(0))
            {
                case "asset-new": newAssets.Add(service.Ip); break;
                case "asset-gone": goneAssets.Add(service.Ip); break;
                case "service-new": newServices.Add(service); break;
                case "service-gone": goneServices.Add(service); break;
                default:
                    changed.Add(new ServiceChange(service, ServiceFacts.Read(r, 1, 11)));
                    break;
            }
        }

        return new ChangeSummary(scanId, previousScanId, newAssets, goneAssets, newServices, goneServices, changed);
    }
}
